import { TestBed } from '@angular/core/testing';
import type { HttpTestingController } from '@angular/common/http/testing';
import type { AgentServerMessage, OfferPayload } from '@switchboard/protocol';
import { AgentSocket } from './agent-socket';
import { Notifier } from './notifier';
import { WorkStore } from './work';
import { setUp, signIn } from '../testing/helpers';

const offer = (id: string, over: Partial<OfferPayload> = {}): OfferPayload => ({
  offerId: id,
  kind: 'route',
  interactionId: 'i-' + id,
  channel: 'chat',
  queueId: 'support-chat',
  queueName: 'Support (chat)',
  customerName: 'Mario Rossi',
  subject: null,
  waitingSince: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 20_000).toISOString(),
  fromAgentId: null,
  ...over,
});

describe('WorkStore', () => {
  let http: HttpTestingController;
  let socket: AgentSocket;
  let work: WorkStore;
  let chimes: number;
  const push = (m: AgentServerMessage) => socket.receive(JSON.stringify(m));

  beforeEach(() => {
    http = setUp();
    signIn();
    socket = TestBed.inject(AgentSocket);
    work = TestBed.inject(WorkStore);
    const notifier = TestBed.inject(Notifier);
    chimes = 0;
    vi.spyOn(notifier, 'offer').mockImplementation(() => void chimes++);
    push({ type: 'snapshot', seq: 10, status: { agentId: 'a1', state: 'available', reason: null, since: new Date().toISOString(), wrapUpUntil: null }, offers: [], interactions: [] });
  });

  it('adds an offer in sequence and chimes once, ignoring a second copy of the same event', () => {
    push({ type: 'offer', seq: 11, offer: offer('o1') });
    push({ type: 'offer', seq: 11, offer: offer('o1') });
    expect(work.offers().map((o) => o.offerId)).toEqual(['o1']);
    expect(chimes).toBe(1);
  });

  it('updates an offer already shown in place (its first lines arrive later) without chiming again', () => {
    push({ type: 'offer', seq: 11, offer: offer('o1') });
    push({ type: 'offer', seq: 12, offer: offer('o1', { preview: ['Where is my parcel?'] }) });
    expect(work.offers().map((o) => o.preview)).toEqual([['Where is my parcel?']]);
    expect(chimes).toBe(1);
  });

  it('asks the server to resume when an event number is missing, without applying it', () => {
    const send = vi.spyOn(socket, 'send').mockReturnValue(true);
    push({ type: 'offer', seq: 13, offer: offer('o3') });
    expect(work.offers()).toEqual([]);
    expect(send).toHaveBeenCalledWith({ type: 'resume', afterSeq: 10 });
  });

  it('says why an offer went away when the agent did not answer it', () => {
    push({ type: 'offer', seq: 11, offer: offer('o1') });
    push({ type: 'offer.ended', seq: 12, offerId: 'o1', interactionId: 'i-o1', reason: 'taken', byAgentId: 'a2' });
    expect(work.offers()).toEqual([]);
    expect(work.notes()).toEqual([{ offerId: 'o1', customerName: 'Mario Rossi', reason: 'taken' }]);
  });

  it('keeps open interactions and drops closed ones', () => {
    const base = { channel: 'chat', queueId: 'support-chat', websiteId: null, contactId: null, customerName: 'Mario', subject: null, routingVariables: {}, ownerId: 'a1', conference: 'none', conferenceAgentId: null, transferTo: null, dispositionId: null, queuedAt: null, assignedAt: new Date().toISOString(), closedAt: null } as const;
    push({ type: 'interaction.updated', seq: 11, interaction: { ...base, id: 'x', state: 'assigned' } });
    push({ type: 'interaction.updated', seq: 12, interaction: { ...base, id: 'y', state: 'assigned' } });
    expect(work.interactions().map((i) => i.id)).toEqual(['x', 'y']);
    push({ type: 'interaction.updated', seq: 13, interaction: { ...base, id: 'x', state: 'closed' } });
    push({ type: 'interaction.removed', seq: 14, interactionId: 'y', reason: 'transferred' });
    expect(work.interactions()).toEqual([]);
  });

  it('replaces everything with a snapshot, as after a reconnect', () => {
    push({ type: 'offer', seq: 11, offer: offer('o1') });
    push({ type: 'snapshot', seq: 40, status: { agentId: 'a1', state: 'rona', reason: null, since: new Date().toISOString(), wrapUpUntil: null }, offers: [offer('o9')], interactions: [] });
    expect(work.offers().map((o) => o.offerId)).toEqual(['o9']);
    push({ type: 'offer', seq: 41, offer: offer('o10') });
    expect(work.offers()).toHaveLength(2);
  });
  it('lists an accepted interaction, but not one the customer closed before the accept landed', async () => {
    const base = { channel: 'chat', queueId: 'support-chat', websiteId: null, contactId: null, customerName: 'Mario Rossi', subject: null, routingVariables: {}, ownerId: 'a1', conference: 'none', conferenceAgentId: null, transferTo: null, dispositionId: null, queuedAt: null, assignedAt: new Date().toISOString(), closedAt: null } as const;
    push({ type: 'offer', seq: 11, offer: offer('o1') });
    push({ type: 'offer', seq: 12, offer: offer('o2') });
    const first = work.accept(work.offers()[0]!);
    http.expectOne('/api/offers/o1/accept').flush({ interaction: { ...base, id: 'i-o1', state: 'assigned' } });
    expect((await first)?.id).toBe('i-o1');
    const second = work.accept(work.offers()[0]!);
    http.expectOne('/api/offers/o2/accept').flush({ interaction: { ...base, id: 'i-o2', state: 'abandoned', closedAt: new Date().toISOString() } });
    expect(await second).toBeNull();
    expect(work.interactions().map((i) => i.id)).toEqual(['i-o1']);
    expect(work.offers()).toEqual([]);
    expect(work.notes()).toEqual([{ offerId: 'o2', customerName: 'Mario Rossi', reason: 'withdrawn' }]);
  });
});
