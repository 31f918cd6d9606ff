import type { Trunk } from '../../kernel/config/schema.js';

export type DialPlan = NonNullable<Trunk['dialPlan']>;

/**
 * The number in E.164 (+<country><number>) as the trunk's country sees it: a number typed with
 * the international prefix or + keeps its country; one without is national (its trunk prefix,
 * where the country has one, dropped). Without a dial plan the number is left as typed.
 */
export function toE164(number: string, plan: DialPlan | undefined): string {
  if (!plan || number.startsWith('+')) return number;
  if (number.startsWith(plan.internationalPrefix)) return `+${number.slice(plan.internationalPrefix.length)}`;
  const national = plan.trunkPrefix && number.startsWith(plan.trunkPrefix) ? number.slice(plan.trunkPrefix.length) : number;
  return `+${plan.countryCode}${national}`;
}

/** What the PBX is sent for an E.164 number: national within its country, international elsewhere. */
export function dialString(e164: string, plan: DialPlan | undefined): string {
  if (!plan) return e164;
  const out = plan.outsideLinePrefix;
  if (plan.dialE164 || !e164.startsWith('+')) return out + e164;
  if (e164.startsWith(`+${plan.countryCode}`)) return out + plan.trunkPrefix + e164.slice(plan.countryCode.length + 1);
  return out + plan.internationalPrefix + e164.slice(1);
}
