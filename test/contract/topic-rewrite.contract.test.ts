import assert from 'node:assert/strict';
import { topicRewrite } from '../../src/modules/topic-rewrite/index.js';
import { runModuleContract } from './module-contract.js';

const rules = (dest: string, re = '^a/(.*)$'): Record<string, unknown> => ({ rules: [{ action: 'publish', source_topic: 'a/#', re, dest_topic: dest }] });

runModuleContract({
  type: topicRewrite,
  validConfig: rules('b/$1'),
  updatedConfig: rules('c/$1'),
  invalidConfig: rules('c/$1', '(unclosed'), // check() refuses the regex
  probe: (h, _id, config) => {
    const dest = (config.rules as Array<{ dest_topic: string }>)[0]!.dest_topic;
    assert.equal(h.fake.rewrite(null, 'publish', 'a/x'), dest.replace('$1', 'x'));
  },
});
