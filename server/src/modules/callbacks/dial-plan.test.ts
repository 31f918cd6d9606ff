// Numbers a visitor types become E.164 with the trunk's country, and E.164 becomes what the PBX
// dials: these are plain functions, so every rule is checked on its own.
import { expect } from 'chai';
import { dialString, toE164, type DialPlan } from './dial-plan.js';
import { testConfig } from '../../test/config.js';

const italy: DialPlan = { countryCode: '39', trunkPrefix: '', internationalPrefix: '00', outsideLinePrefix: '', dialE164: false };
const uk: DialPlan = { countryCode: '44', trunkPrefix: '0', internationalPrefix: '00', outsideLinePrefix: '9', dialE164: false };

describe('callback dial plan', () => {
  it('turns national, international-prefix and + numbers into E.164', () => {
    expect(toE164('0612345678', italy)).to.equal('+390612345678');
    expect(toE164('3351234567', italy)).to.equal('+393351234567');
    expect(toE164('00442071234567', italy)).to.equal('+442071234567');
    expect(toE164('+33123456789', italy)).to.equal('+33123456789');
    expect(toE164('02071234567', uk)).to.equal('+442071234567');
    expect(toE164('0612345678', undefined)).to.equal('0612345678');
  });

  it('dials the own country nationally and others with the international prefix, after the outside line', () => {
    expect(dialString('+390612345678', italy)).to.equal('0612345678');
    expect(dialString('+442071234567', italy)).to.equal('00442071234567');
    expect(dialString('+442071234567', uk)).to.equal('902071234567');
    expect(dialString('+390612345678', uk)).to.equal('900390612345678');
    expect(dialString('+390612345678', { ...italy, dialE164: true })).to.equal('+390612345678');
    expect(dialString('+390612345678', undefined)).to.equal('+390612345678');
  });
});

describe('callback dialling configuration', () => {
  const problemsOf = (set: Record<string, unknown>): string => {
    try {
      testConfig({ set });
      return '';
    } catch (err) {
      return JSON.stringify((err as { problems?: unknown }).problems ?? String(err));
    }
  };

  it('refuses a dial plan or callback settings that make no sense, naming file and key', () => {
    expect(problemsOf({ 'trunks.yaml:trunks.0.dialPlan': { countryCode: 'italy' } })).to.contain('trunks.yaml').and.to.contain('dialPlan.countryCode');
    expect(problemsOf({ 'trunks.yaml:trunks.0.dialPlan': { countryCode: '39', trunkPrefix: '00' } })).to.contain('dialPlan.trunkPrefix');
    expect(problemsOf({ 'trunks.yaml:trunks.0.dialPlan': { countryCode: '39', outsideLinePrefix: '<sip:x>' } })).to.contain('dialPlan.outsideLinePrefix');
    expect(problemsOf({ 'trunks.yaml:trunks.0.dialPlan': { countryCode: '39', extra: 1 } })).to.contain('dialPlan');
    expect(problemsOf({ 'queues.yaml:queues.3.callback': { attempts: 0 } })).to.contain('callback.attempts');
    expect(problemsOf({ 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 'soon' } })).to.contain('callback.retryMinutes');
    expect(problemsOf({ 'queues.yaml:queues.3.callback': { trunk: 'nowhere' } })).to.contain('callback.trunk').and.to.contain('unknown trunk');
    expect(problemsOf({})).to.equal('');
  });
});
