import type { Unhook } from '../../broker/hooks.js';

/**
 * Services that running module instances expose to the rest of the node (the management API
 * serves them): the built-in auth DB's user admin, the delayed-publish queue, recon. A name has at
 * most one provider; while no instance provides it, `get` is undefined and the API answers that
 * the module is not running. Exposures are released with the instance (see the reconciler).
 */
export class ModuleServices {
  private readonly providers = new Map<string, { owner: object; service: unknown }>();

  /** `owner` identifies the exposing instance, so a late release cannot remove a successor's. */
  expose(owner: object, name: string, service: unknown): Unhook {
    this.providers.set(name, { owner, service });
    return () => {
      if (this.providers.get(name)?.owner === owner) this.providers.delete(name);
    };
  }

  get<T>(name: string): T | undefined {
    return this.providers.get(name)?.service as T | undefined;
  }

  /** Removes every service `owner` exposed. */
  release(owner: object): void {
    for (const [name, entry] of this.providers) if (entry.owner === owner) this.providers.delete(name);
  }
}
