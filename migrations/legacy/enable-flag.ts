import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import type { ForwardResult, KeyOutcome } from './mapping.js';

/**
 * 4.0's `module.<name> = on|off` in emqx.conf is the module's enable switch (4.1+ use
 * data/loaded_modules). Classifies the key, sets `result.enabled`, warns on anything but on/off.
 */
export function applyEnableFlag(setting: ConfSetting, outcome: KeyOutcome, result: ForwardResult, moduleType: string): void {
  if (setting.value === 'on' || setting.value === 'off') {
    result.enabled = setting.value === 'on';
    Object.assign(outcome, { class: 'mapped', target: `${moduleType}#`, reason: `enables the module (4.0 flag): ${setting.value}` });
  } else {
    outcome.reason = `invalid flag ${JSON.stringify(setting.value)} (expected on or off)`;
    result.warnings.push({ code: 'invalid-value', message: `${setting.key}: ${outcome.reason}`, location: setting.location });
  }
}
