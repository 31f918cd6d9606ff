import { TestBed } from '@angular/core/testing';
import type { HttpTestingController } from '@angular/common/http/testing';
import type { AgentCommand, ChatMessagePayload } from '@switchboard/protocol';
import { AgentSocket } from '../../core/agent-socket';
import { ChatPane } from './chat-pane';
import { setUp, settle, signIn } from '../../testing/helpers';

const visitorLine: ChatMessagePayload = {
  id: 'm1', interactionId: 'i1', authorKind: 'visitor', authorName: 'Mario', body: 'Hello?', clientMessageId: 'c1', deliveryState: 'sent', attachments: [], createdAt: new Date().toISOString(),
};

describe('ChatPane', () => {
  let http: HttpTestingController;
  let sent: AgentCommand[];

  beforeEach(() => {
    http = setUp();
    signIn();
    sent = [];
    vi.spyOn(TestBed.inject(AgentSocket), 'send').mockImplementation((cmd) => {
      sent.push(cmd);
      return true;
    });
  });

  async function render(monitoring: boolean, line = visitorLine): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(ChatPane);
    fixture.componentRef.setInput('interactionId', 'i1');
    fixture.componentRef.setInput('monitoring', monitoring);
    await fixture.whenStable();
    http.expectOne('/api/chats/i1/messages').flush({ messages: [line] });
    await settle();
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('takes an uploaded file off the server when the agent removes it, and only such a file', async () => {
    const fixture = TestBed.createComponent(ChatPane);
    fixture.componentRef.setInput('interactionId', 'i1');
    fixture.componentRef.setInput('monitoring', false);
    await fixture.whenStable();
    http.expectOne('/api/chats/i1/messages').flush({ messages: [] });
    const file = (name: string) => new File(['x'], name, { type: 'text/plain' });
    const uploaded = { id: 'f1', fileName: 'sent-up.txt', size: 1, type: 'text/plain', sha256: 'a'.repeat(64) };
    const pane = fixture.componentInstance as unknown as { files: { set(v: unknown[]): void } };
    pane.files.set([
      { key: 1, file: file('sent-up.txt'), state: 'done', progress: 1, error: null, uploaded },
      { key: 2, file: file('local.txt'), state: 'ready', progress: 0, error: null, uploaded: null },
    ]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const removeButtons = () => [...el.querySelectorAll<HTMLButtonElement>('[data-test=file-remove]')];
    removeButtons()[1]!.click();
    http.expectNone(() => true);
    removeButtons()[0]!.click();
    const req = http.expectOne('/api/chats/i1/files/f1');
    expect(req.request.method).toBe('DELETE');
    req.flush(null, { status: 404, statusText: 'Not Found' });
    await settle();
    await fixture.whenStable();
    expect(el.querySelectorAll('[data-test=pending-file]').length).toBe(0);
  });

  it('confirms the visitor’s lines it shows to the agent of the chat', async () => {
    await render(false);
    expect(sent).toContainEqual({ type: 'chat.received', interactionId: 'i1', messageIds: ['m1'] });
  });

  it('confirms a line the server keeps in stored once, however often the chat redraws, and again when its state changes', async () => {
    await render(false, { ...visitorLine, deliveryState: 'stored' });
    const socket = TestBed.inject(AgentSocket);
    const receipts = () => sent.filter((c) => c.type === 'chat.received');
    // The agent's own lines and their receipts redraw the chat; the visitor's line stays stored.
    for (let n = 0; n < 5; n++) {
      const own: ChatMessagePayload = { ...visitorLine, id: `a${n}`, authorKind: 'agent', authorName: null, body: `Line ${n}`, clientMessageId: `ca${n}`, deliveryState: 'stored' };
      socket.receive(JSON.stringify({ type: 'chat.ack', ref: own.clientMessageId, message: own }));
      socket.receive(JSON.stringify({ type: 'chat.delivery', interactionId: 'i1', messageIds: [own.id], state: 'delivered' }));
      await settle();
      TestBed.tick();
    }
    expect(receipts()).toEqual([{ type: 'chat.received', interactionId: 'i1', messageIds: ['m1'] }]);
    socket.receive(JSON.stringify({ type: 'chat.delivery', interactionId: 'i1', messageIds: ['m1'], state: 'sent' }));
    await settle();
    TestBed.tick();
    expect(receipts()).toHaveLength(2);
  });

  it('monitoring, tells the visitor nothing: no receipts, no typing, and what is written is a note', async () => {
    const el = await render(true);
    expect(el.querySelector('[data-test=mode-reply]')).toBeNull();
    expect(el.querySelector('[data-test=attach]')).toBeNull();
    const box = el.querySelector<HTMLTextAreaElement>('[data-test=chat-input]')!;
    box.value = 'Offer the voucher';
    box.dispatchEvent(new Event('input'));
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(sent.map((c) => c.type)).toEqual(['chat.note']);
    expect(sent[0]).toMatchObject({ type: 'chat.note', interactionId: 'i1', body: 'Offer the voucher' });
  });
});
