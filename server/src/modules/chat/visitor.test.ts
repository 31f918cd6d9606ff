// The visitor's side as the widget uses it: the pre-chat form checked server-side against the
// website's definition, the bot option menu, outside hours and unmanaged chats with their
// leave-a-message form, queue positions, transcript requests.
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { Message } from './message.entity.js';
import { api, login, makeAgent, type TestServer } from '../../test/routing.js';
import { FORM, cid, command, openVisitor, startChat, takeChat, widget, startChatServer } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { smtpSink } from '../../test/smtp.js';
import { OutgoingMail } from '../mail/outgoing-mail.entity.js';

const english = [{ skill: 'english', level: 8 }];
const EVERY_FIELD = [
  { type: 'label', text: 'Tell us about you' },
  { type: 'text', name: 'name', label: 'Name', required: true, maxLength: 20, mapsTo: { contact: 'name' } },
  { type: 'email', name: 'email', label: 'Email', required: true, mapsTo: { contact: 'email' } },
  { type: 'number', name: 'order', label: 'Order number', min: 1, max: 99999, mapsTo: { variable: 'order' } },
  { type: 'textarea', name: 'details', label: 'Details', maxLength: 30 },
  { type: 'select', name: 'topic', label: 'Topic', options: [{ value: 'order', label: 'Order' }, { value: 'other', label: 'Other' }], mapsTo: { variable: 'topic' } },
  { type: 'radio', name: 'urgency', label: 'Urgency', options: [{ value: 'low', label: 'Low' }, { value: 'high', label: 'High' }], required: true },
  { type: 'checkboxes', name: 'products', label: 'Products', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }], mapsTo: { contact: 'custom.products' } },
  { type: 'agreement', name: 'privacy', label: 'Privacy', text: 'I accept', required: true },
  { type: 'attachment', name: 'invoice', label: 'Invoice', maxBytes: 1000, acceptedTypes: ['.pdf'] },
];

describe('chat: visitor side', () => {
  let t: TestServer | undefined;
  let admin: string;
  const start = async (set: Record<string, unknown> = {}) => {
    t = await startChatServer(set);
    admin = await login(t.url);
    return t;
  };
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });
  // A refused chat could only have stored a chat: earlier tests' callbacks (a retry) and fetched mail add interactions meanwhile.
  const countInteractions = () => t!.sb.kernel.db.getRepository(Interaction).countBy({ channel: 'chat' });

  it('checks every field type of the website form, names each problem and stores nothing', async () => {
    await start({ 'websites/example.yaml:forms.chat': EVERY_FIELD, 'websites/example.yaml:bot.options': [] });
    await makeAgent(t!.url, admin, { skills: english, available: true });
    const before = await countInteractions();
    const bad = await widget(t!.url, 'POST', '/chats', {
      fields: { name: '   ', email: 'not-an-email', order: 'twelve', details: 'x'.repeat(31), topic: 'weather', urgency: 'medium', products: ['a', 'z'], privacy: false, invoice: { fileName: 'virus.exe', size: 10 }, extra: 1 },
    });
    expect(bad.status).to.equal(400);
    const problems = Object.fromEntries(bad.body.error.fields.map((f: { field: string; problem: string }) => [f.field, f.problem]));
    expect(problems).to.deep.equal({
      'fields.name': 'is required',
      'fields.email': 'must be an email address',
      'fields.order': 'must be a number',
      'fields.details': 'must be at most 30 characters',
      'fields.topic': 'must be one of order, other',
      'fields.urgency': 'must be one of low, high',
      'fields.products': 'must be a list of a, b',
      'fields.privacy': 'must be accepted',
      'fields.invoice': 'must be one of .pdf',
      'fields.extra': 'unknown field',
    });
    const range = await widget(t!.url, 'POST', '/chats', { fields: { name: 'Bo', email: 'bo@example.com', urgency: 'low', privacy: true, order: 0, invoice: { fileName: 'a.pdf', size: 5000 } } });
    expect(range.body.error.fields).to.deep.equal([
      { field: 'fields.order', problem: 'must be at least 1' },
      { field: 'fields.invoice', problem: 'must be at most 1000 bytes' },
    ]);
    expect((await widget(t!.url, 'POST', '/chats', { fields: 'name=Bo' })).status).to.equal(400);
    expect((await widget(t!.url, 'POST', '/chats', '{"fields":')).status).to.equal(400);
    expect(await countInteractions()).to.equal(before);

    const ok = await widget(t!.url, 'POST', '/chats', {
      fields: { name: 'Bo Field', email: 'Bo.Field@Example.com', order: '42', details: 'late', topic: 'order', urgency: 'high', products: ['a', 'b'], privacy: true, invoice: { fileName: 'inv.pdf', size: 900 } },
    });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body.outcome).to.equal('queued');
    expect(ok.body.token).to.be.a('string').with.length.above(40);
    const i = await t!.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: ok.body.interactionId });
    expect(i.routingVariables).to.deep.equal({ order: '42', topic: 'order' });
    // Only the token's hash is kept.
    expect(i.visitorTokenHash).to.have.length(64).and.not.equal(ok.body.token);
    const contact = await t!.sb.kernel.db.getRepository(Contact).findOneByOrFail({ id: i.contactId! });
    expect(contact).to.deep.include({ name: 'Bo Field', email: 'bo.field@example.com' });
    expect(contact.customFields).to.deep.equal({ products: 'a,b' });
  });

  it('requires a name and an email when the website defines no chat form', async () => {
    await start({ 'websites/example.yaml:forms.chat': [], 'websites/example.yaml:bot.options': [] });
    await makeAgent(t!.url, admin, { skills: english });
    const before = await countInteractions();
    const r = await widget(t!.url, 'POST', '/chats', { fields: { name: '', email: ' ' } });
    expect(r.status).to.equal(400);
    expect(r.body.error.fields).to.deep.equal([
      { field: 'fields.name', problem: 'is required' },
      { field: 'fields.email', problem: 'is required' },
    ]);
    expect((await widget(t!.url, 'POST', '/chats', {})).status).to.equal(400);
    expect(await countInteractions()).to.equal(before);
    expect((await widget(t!.url, 'POST', '/chats', { fields: { name: 'Cy', email: 'cy@example.com' } })).status).to.equal(201);
  });

  it('asks for a bot option after the form, greets with its welcome line as the bot and routes to its queue', async () => {
    await start();
    const a = await makeAgent(t!.url, admin, { skills: english });
    const missing = await widget(t!.url, 'POST', '/chats', { fields: FORM });
    expect(missing.status).to.equal(400);
    expect(missing.body.error.fields).to.deep.equal([{ field: 'option', problem: 'must be one of orders' }]);
    expect((await widget(t!.url, 'POST', '/chats', { fields: FORM, option: 'weather' })).status).to.equal(400);
    const v = await startChat(t!.url);
    expect(v.start.messages).to.have.length(1);
    expect(v.start.messages[0]).to.include({ authorKind: 'bot', authorName: 'Talk to us', body: 'Thanks! An agent will look up your order.' });
    const i = await t!.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: v.interactionId });
    expect(i.queueId).to.equal('support-chat');
    expect(i.subject).to.equal('Where is my order?');
    await takeChat(t!.url, a, v);
    v.socket.close();
  });

  it('outside working hours: the closed message, the next opening and an offline form that is stored once', async () => {
    // Open only on the day after tomorrow (UTC), so now is closed whatever the day.
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 2) % 7]!;
    await start({ 'hours.yaml:calendars.2': { id: 'later', name: 'Later', timezone: 'UTC', weekly: { [day]: ['09:00-10:00'] }, holidays: [] }, 'websites/example.yaml:hours': 'later' });
    await makeAgent(t!.url, admin, { skills: english });
    const r = await widget(t!.url, 'POST', '/chats', { fields: FORM, option: 'orders', language: 'it' });
    expect(r.status).to.equal(201);
    expect(r.body).to.include({ outcome: 'closed', notice: 'Siamo chiusi in questo momento. Lasciaci un messaggio e ti ricontatteremo.' });
    expect(new Date(r.body.nextOpening).getUTCHours()).to.equal(9);
    expect(r.body.offlineForm.map((f: { name: string }) => f.name)).to.deep.equal(['name', 'email', 'message']);
    const path = `/chats/${r.body.interactionId}/offline`;
    const bad = await widget(t!.url, 'POST', path, { fields: { name: 'Ada', email: 'ada@example.com', message: '' } }, r.body.token);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields).to.deep.equal([{ field: 'fields.message', problem: 'is required' }]);
    expect((await widget(t!.url, 'POST', path, { fields: { name: 'Ada', email: 'ada@example.com', message: 'Call me' } }, 'forged-token')).status).to.equal(403);
    expect(await t!.sb.kernel.db.getRepository(Message).countBy({ interactionId: r.body.interactionId })).to.equal(0);
    const ok = await widget(t!.url, 'POST', path, { fields: { name: 'Ada', email: 'ada@example.com', message: 'Call me tomorrow' } }, r.body.token);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    const i = await t!.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: r.body.interactionId });
    expect(i).to.include({ state: 'unmanaged', offline: true });
    const stored = await t!.sb.kernel.db.getRepository(Message).findBy({ interactionId: i.id });
    expect(stored.map((m) => m.body)).to.deep.equal(['Name: Ada\nEmail: ada@example.com\nMessage: Call me tomorrow']);
    expect((await widget(t!.url, 'POST', path, { fields: { name: 'Ada', email: 'ada@example.com', message: 'again' } }, r.body.token)).status).to.equal(409);
  });

  it('inside hours with nobody to take it: the unmanaged message and a leave-a-message form', async () => {
    await start();
    const r = await widget(t!.url, 'POST', '/chats', { fields: FORM, option: 'orders' });
    expect(r.body).to.include({ outcome: 'unmanaged', notice: 'All our agents are busy. Leave us a message and we will get back to you.', nextOpening: null });
    const ok = await widget(t!.url, 'POST', `/chats/${r.body.interactionId}/offline`, { fields: { name: 'Ada', email: 'ada@example.com', message: 'Please call' } }, r.body.token);
    expect(ok.status).to.equal(201);
    expect(ok.body).to.deep.equal({ stored: true, forwarded: false });
  });

  it('forwards a left message to the website’s mailbox when it asks for that, with the visitor as Reply-To; a mail server away delays it', async () => {
    let sink = await smtpSink();
    try {
      await start({ 'switchboard.yaml:smtp.port': sink.port, 'websites/example.yaml:offline': { action: 'mail', forwardTo: 'desk@example.com' } });
      const r = await widget(t!.url, 'POST', '/chats', { fields: FORM, option: 'orders' });
      expect(r.body.outcome).to.equal('unmanaged');
      const ok = await widget(t!.url, 'POST', `/chats/${r.body.interactionId}/offline`, { fields: { name: 'Ada', email: 'ada@example.com', message: 'Call me <after 5>' } }, r.body.token);
      expect(ok.body).to.deep.equal({ stored: true, forwarded: true });
      await eventually(async () => sink.mails.length, (n) => n === 1);
      expect(sink.mails[0]).to.match(/^To: desk@example\.com/m).and.to.match(/^Reply-To: ada@example\.com/m).and.to.match(/^Subject: \[C-[0-9A-Z-]+\] Message left in the chat on Example shop/m);
      expect(sink.mails[0]).to.include('Message: Call me <after 5>');

      // The mail server away: the message is stored, its mail queued and sent when the server returns.
      await sink.close();
      const again = await widget(t!.url, 'POST', '/chats', { fields: FORM, option: 'orders' });
      const kept = await widget(t!.url, 'POST', `/chats/${again.body.interactionId}/offline`, { fields: { name: 'Ada', email: 'ada@example.com', message: 'Second try' } }, again.body.token);
      expect(kept.status).to.equal(201);
      expect(kept.body).to.deep.equal({ stored: true, forwarded: true });
      expect((await t!.sb.kernel.db.getRepository(Message).findBy({ interactionId: again.body.interactionId })).map((m) => m.body)).to.deep.equal(['Name: Ada\nEmail: ada@example.com\nMessage: Second try']);
      await eventually(() => t!.sb.kernel.db.getRepository(OutgoingMail).findOneBy({ interactionId: again.body.interactionId }), (x) => !!x?.lastError);
      sink = await smtpSink(sink.port);
      await eventually(async () => sink.mails.length, (n) => n === 1, 300, 200);
      expect(sink.mails[0]).to.include('Message: Second try');
    } finally {
      await sink.close().catch(() => undefined);
    }
  });

  it('tells a visitor who waited longer than the queue allows, and takes a message instead', async () => {
    await start({ 'queues.yaml:queues.0.maxWaitSeconds': 1 });
    const a = await makeAgent(t!.url, admin, { skills: english });
    await api(t!.url, 'PUT', '/api/agents/me/state', { state: 'not-ready', reason: 'break' }, a.token);
    const v = await startChat(t!.url);
    expect(v.subscribed.queue.state).to.equal('queued');
    const line = await v.socket.next((m) => m.type === 'chat.message' && m.message.authorKind === 'system');
    expect(line.message.body).to.equal('All our agents are busy. Leave us a message and we will get back to you.');
    expect((await v.socket.next((m) => m.type === 'chat.queue' && m.queue.state === 'unmanaged')).queue.position).to.equal(null);
    const ok = await widget(t!.url, 'POST', `/chats/${v.interactionId}/offline`, { fields: { name: 'Ada', email: 'ada@example.com', message: 'Call me' } }, v.token);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    v.socket.close();
  });

  it('tells waiting visitors their queue position, and pushes the new one when the queue moves', async () => {
    await start();
    const a = await makeAgent(t!.url, admin, { skills: english, capacity: { chat: 1, total: 1 } });
    const first = await startChat(t!.url);
    await takeChat(t!.url, a, first);
    const second = await startChat(t!.url);
    const third = await startChat(t!.url);
    expect(second.subscribed.queue).to.include({ state: 'queued', position: 1 });
    expect(third.subscribed.queue).to.include({ state: 'queued', position: 2 });
    // The second visitor leaves; the third moves up.
    expect((await command(second.socket, { type: 'chat.end', interactionId: second.interactionId })).type).to.equal('ok');
    const moved = await third.socket.next((m) => m.type === 'chat.queue' && m.queue.position === 1);
    expect(moved.queue.state).to.equal('queued');
    expect(await second.socket.next((m) => m.type === 'chat.ended')).to.include({ by: 'customer' });
    for (const v of [first, second, third]) v.socket.close();
  });

  it('records a transcript request when the website mails transcripts, and refuses it otherwise', async () => {
    await start();
    await makeAgent(t!.url, admin, { skills: english });
    const v = await startChat(t!.url);
    const r = await widget(t!.url, 'POST', `/chats/${v.interactionId}/transcript`, {}, v.token);
    expect(r.status).to.equal(202);
    expect(r.body).to.deep.equal({ requested: true, email: 'ada@example.com', sent: false });
    expect((await widget(t!.url, 'POST', `/chats/${v.interactionId}/transcript`, { email: 'nope' }, v.token)).status).to.equal(400);
    const events = await t!.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: v.interactionId, type: 'transcript.requested' });
    expect(events.map((e) => e.data)).to.deep.equal([{ email: 'ada@example.com' }]);
    v.socket.close();
    await t!.stop();
    await start({ 'websites/example.yaml:transcriptByMail': false });
    await makeAgent(t!.url, admin, { skills: english });
    const w = await startChat(t!.url);
    const refused = await widget(t!.url, 'POST', `/chats/${w.interactionId}/transcript`, {}, w.token);
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('transcript_unavailable');
    w.socket.close();
  });

  it('mails the transcript when the chat ends, and at once when asked on the end screen: once per address, no notes, queued while mail is down', async () => {
    let sink = await smtpSink();
    try {
      await start({ 'switchboard.yaml:smtp.port': sink.port });
      const a = await makeAgent(t!.url, admin, { skills: english });
      const v = await startChat(t!.url);
      await takeChat(t!.url, a, v);
      await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Where is <b>order</b> 42?\nIt was due Monday.' });
      await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'On its way & due today' });
      await command(a.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'SECRET-NOTE courier is late' });
      const during = await widget(t!.url, 'POST', `/chats/${v.interactionId}/transcript`, {}, v.token);
      expect(during.body).to.deep.equal({ requested: true, email: 'ada@example.com', sent: false });
      expect(sink.mails).to.have.length(0);

      await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
      await eventually(async () => sink.mails.length, (n) => n === 1);
      const mail = sink.mails[0]!;
      expect(mail).to.match(/^To: ada@example\.com/m).and.to.match(/^Subject: Your chat with Example shop/m);
      expect(mail).to.match(/\d\d:\d\d {2}Ada Visitor: Where is <b>order<\/b> 42\?\r?\n {8}It was due Monday\./);
      expect(mail).to.include('On its way & due today').and.to.include('The chat has ended.');
      expect(mail).to.not.include('SECRET-NOTE');

      // On the end screen, for another address: sent at once; the same address again is not mailed twice.
      const late = await widget(t!.url, 'POST', `/chats/${v.interactionId}/transcript`, { email: 'bob@example.com' }, v.token);
      expect(late.body).to.deep.equal({ requested: true, email: 'bob@example.com', sent: true });
      await eventually(async () => sink.mails.length, (n) => n === 2);
      expect(sink.mails[1]).to.match(/^To: bob@example\.com/m);
      const again = await widget(t!.url, 'POST', `/chats/${v.interactionId}/transcript`, {}, v.token);
      expect(again.body).to.deep.equal({ requested: true, email: 'ada@example.com', sent: true });
      expect(sink.mails).to.have.length(2);

      // The mail server down: the request is taken and its mail waits in the queue until the server returns.
      await sink.close();
      const down = await widget(t!.url, 'POST', `/chats/${v.interactionId}/transcript`, { email: 'carol@example.com' }, v.token);
      expect(down.body).to.deep.equal({ requested: true, email: 'carol@example.com', sent: true });
      await eventually(() => t!.sb.kernel.db.getRepository(OutgoingMail).findOneBy({ dedupeKey: `transcript:${v.interactionId}:carol@example.com` }), (x) => !!x?.lastError);
      let events = await t!.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: v.interactionId });
      expect(events.filter((e) => e.type === 'transcript.sent').map((e) => e.data.email)).to.deep.equal(['ada@example.com', 'bob@example.com']);
      sink = await smtpSink(sink.port);
      await eventually(async () => sink.mails.length, (n) => n === 1, 300, 200);
      expect(sink.mails[0]).to.match(/^To: carol@example\.com/m);
      events = await eventually(() => t!.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: v.interactionId }), (es) => es.filter((e) => e.type === 'transcript.sent').length === 3);
      expect(events.filter((e) => e.type === 'transcript.sent').map((e) => e.data.email)).to.deep.equal(['ada@example.com', 'bob@example.com', 'carol@example.com']);
      v.socket.close();
    } finally {
      await sink.close().catch(() => undefined);
    }
  });

  it('the socket follows only chats it holds the token of', async () => {
    await start();
    await makeAgent(t!.url, admin, { skills: english });
    const v = await startChat(t!.url);
    const other = await openVisitor(t!.url);
    const denied = await command(other, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: 'x1', body: 'hi' });
    expect(denied).to.include({ type: 'error', code: 'forbidden' });
    const forged = await command(other, { type: 'chat.subscribe', interactionId: v.interactionId, token: 'x'.repeat(43) });
    expect(forged).to.include({ type: 'error', code: 'forbidden' });
    expect(await t!.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId, authorKind: 'visitor' })).to.equal(0);
    other.close();
    v.socket.close();
  });
});
