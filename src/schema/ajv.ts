import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CJS: under NodeNext its default import is the module object on some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as typeof addFormatsModule.default;

/** Annotation keywords our schemas may carry; declared so `strict` mode accepts them. */
export const CUSTOM_KEYWORDS = ['x-family', 'x-singleton', 'x-secret', 'x-order', 'x-label'] as const;

export type SchemaAjv = Ajv2020;

/**
 * The one ajv configuration used for every modmq schema: draft 2020-12, every error reported,
 * defaults applied (validation always runs on a copy), strict so that a typo in a schema fails
 * loudly when it is compiled.
 */
export function createAjv(): SchemaAjv {
  const ajv = new Ajv2020({
    allErrors: true,
    useDefaults: true,
    strict: true,
    // Combinators like `anyOf: [{required: [a]}, {required: [b]}]` are legitimate.
    strictRequired: false,
    allowUnionTypes: true,
    // Errors carry `parentSchema`, so messages can use a definition's title and examples.
    verbose: true,
  });
  addFormats(ajv);
  for (const keyword of CUSTOM_KEYWORDS) ajv.addKeyword({ keyword, schemaType: keywordType(keyword) });
  return ajv;
}

function keywordType(keyword: (typeof CUSTOM_KEYWORDS)[number]): Array<'boolean' | 'number' | 'array' | 'string'> {
  switch (keyword) {
    case 'x-singleton':
    case 'x-secret':
      return ['boolean'];
    case 'x-order':
      return ['number', 'array'];
    default:
      return ['string'];
  }
}
