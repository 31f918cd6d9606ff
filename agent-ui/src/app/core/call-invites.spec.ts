import { TestBed } from '@angular/core/testing';
import { signal } from '@angular/core';
import type { CallInvitePayload } from '@switchboard/protocol';
import { AgentSocket } from './agent-socket';
import { CallInvites } from './call-invites';
import { Softphone, type PhoneCall } from './softphone';
import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { provideRouter } from '@angular/router';
import { signIn } from '../testing/helpers';

const call = (id: string, inviteId: string | null): PhoneCall => ({
  id, direction: 'incoming', state: 'ringing', number: 'visitor', displayName: 'Ada', held: false, muted: false, startedAt: Date.now(), answeredAt: null, endCause: null,
  transferredTo: null, inviteId, video: false, offersVideo: true, context: { interactionId: 'i1', name: null, email: null, phone: null, website: null, fields: [] },
});
const invite = (state: CallInvitePayload['state']): CallInvitePayload => ({ inviteId: 'inv1', interactionId: 'i1', video: true, agentName: 'Ada', state, expiresAt: new Date(Date.now() + 60_000).toISOString() });

describe('CallInvites', () => {
  let calls: ReturnType<typeof signal<PhoneCall[]>>;
  let answered: [string, boolean][];
  let socket: AgentSocket;

  beforeEach(() => {
    calls = signal<PhoneCall[]>([]);
    answered = [];
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), { provide: Softphone, useValue: { calls, answer: (id: string, video: boolean) => answered.push([id, video]) } }],
    });
    signIn();
    socket = TestBed.inject(AgentSocket);
  });

  it('answers (with video) the call of an invitation this agent made, once, and leaves other calls ringing', () => {
    const invites = TestBed.inject(CallInvites);
    socket.receive(JSON.stringify({ type: 'call.invite.state', invite: invite('accepted') }));
    calls.set([call('c1', 'inv1'), call('c2', 'someone-elses'), call('c3', null)]);
    TestBed.tick();
    calls.set([...calls()]);
    TestBed.tick();
    expect(answered).toEqual([['c1', true]]);
    expect([...invites.chatCalls()]).toEqual(['c1']);
    expect(invites.ownCalls().map((c) => c.id)).toEqual(['c2', 'c3']);
  });

  it('lets the call of a cancelled invitation ring like any other', () => {
    TestBed.inject(CallInvites);
    socket.receive(JSON.stringify({ type: 'call.invite.state', invite: invite('cancelled') }));
    calls.set([call('c1', 'inv1')]);
    TestBed.tick();
    expect(answered).toEqual([]);
  });
});
