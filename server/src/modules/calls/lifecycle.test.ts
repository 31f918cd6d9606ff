// A call's steps reach its interaction through routing's callStep: the PBX's calls assign it when
// answered, the calls we originate (a callback's dial) find it assigned by routing already.
import { expect } from 'chai';
import { CallEvents, type CallKind } from '@switchboard/sip';
import type { EventBus } from '../../kernel/bus.js';
import type { Logger } from '../../kernel/logger.js';
import type { CallChange } from '../routing/index.js';
import { followCalls } from './lifecycle.js';

describe('calls: a call follows its interaction', () => {
  it("assigns the interaction when the PBX's call is answered, and leaves an originated call's as routing wrote it", async () => {
    const events = new CallEvents();
    const steps: { interactionId: string; type: string; change: CallChange }[] = [];
    const routing = { callStep: async (interactionId: string, type: string, _data: Record<string, unknown>, change: CallChange) => void steps.push({ interactionId, type, change }) };
    const bus = { emitLocal: () => undefined } as unknown as EventBus;
    const log = { error: () => undefined } as unknown as Logger;
    const calls = followCalls(events, routing as never, bus, log);
    const at = new Date('2026-03-02T10:00:00Z');
    for (const [interactionId, kind] of [['widget', 'widget'], ['inbound', 'inbound'], ['callback', 'originate']] as [string, CallKind][]) {
      events.emit('answered', { callSessionId: `call-${interactionId}`, interactionId, kind, at });
    }
    await calls.idle();
    expect(steps).to.deep.equal([
      { interactionId: 'widget', type: 'call.answered', change: { state: 'assigned', assignedAt: at } },
      { interactionId: 'inbound', type: 'call.answered', change: { state: 'assigned', assignedAt: at } },
      { interactionId: 'callback', type: 'call.answered', change: {} },
    ]);
  });
});
