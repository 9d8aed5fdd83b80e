import { ModmqError } from '../../errors.js';
import type { ModuleType } from './module-type.js';

/** The module types this node can run, by type id. Built once at startup from `builtinModuleTypes`. */
export class ModuleRegistry {
  private readonly byType = new Map<string, ModuleType>();

  constructor(types: readonly ModuleType[] = []) {
    for (const t of types) this.add(t);
  }

  /** Throws MODMQ_INTERNAL on a duplicate type id: two implementations of one type is a build bug. */
  add(type: ModuleType): void {
    if (this.byType.has(type.type)) {
      throw new ModmqError('MODMQ_INTERNAL', `module type ${type.type} is registered twice`, 500, [], {
        module: type.type,
        reason: 'duplicate-type',
      });
    }
    this.byType.set(type.type, type);
  }

  get(type: string): ModuleType | undefined {
    return this.byType.get(type);
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** In registration order. */
  types(): ModuleType[] {
    return [...this.byType.values()];
  }
}
