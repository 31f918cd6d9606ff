// The words users see: texts of the configuration in several languages reach the widget and the
// desktop as maps (each picks its reader's language), and the offer card of a chat shows what the
// visitor wrote, not the option they picked.
import { expect } from 'chai';
import { api, login, makeAgent, nextOffer, type TestServer } from '../../test/routing.js';
import { startChat, startChatServer, widget, cid, command } from '../../test/chat.js';
import { makeConfigDir } from '../../test/config.js';
import { loadConfig, type ConfigError } from '../../kernel/config/load.js';

const TITLE = { en: 'Talk to us', it: 'Parla con noi', fr: 'Parlez-nous' };
const OPTION = { en: 'Where is my order?', it: 'Dov’è il mio ordine?', fr: 'Où est ma commande ?' };
const QUEUE = { en: 'Support (chat)', it: 'Assistenza (chat)' };
const BREAK = { en: 'Break', it: 'Pausa', fr: 'Pause' };

describe('words in the reader’s language, and the first lines on the offer', function () {
  this.timeout(60000);
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startChatServer({
      'websites/example.yaml:look.title': TITLE,
      'websites/example.yaml:bot.options': [{ id: 'orders', label: OPTION, welcome: { en: 'Thanks!', it: 'Grazie!' }, queue: 'support-chat' }],
      'websites/example.yaml:forms.chat': [
        { type: 'label', text: { en: 'About you', fr: 'Vous' } },
        { type: 'text', name: 'name', label: { en: 'Name', it: 'Nome', fr: 'Nom' }, required: true, mapsTo: { contact: 'name' } },
        { type: 'select', name: 'topic', label: 'Topic', options: [{ value: 'order', label: { en: 'Order', it: 'Ordine' } }] },
      ],
      'queues.yaml:queues.0.name': QUEUE,
      'reasons.yaml:notReady.0.label': BREAK,
      'reasons.yaml:dispositions.0.label': { en: 'Resolved', fr: 'Résolu' },
    });
    admin = await login(t.url);
  });
  after(() => t.stop());

  it('gives the widget every configured text as written: one string or one per language', async () => {
    const c = (await widget(t.url, 'GET', '/config')).body;
    expect(c.look.title).to.deep.equal(TITLE);
    expect(c.bot.options).to.deep.equal([{ id: 'orders', label: OPTION }]);
    expect(c.forms.chat[0].text).to.deep.equal({ en: 'About you', fr: 'Vous' });
    expect(c.forms.chat[1].label).to.deep.equal({ en: 'Name', it: 'Nome', fr: 'Nom' });
    expect(c.forms.chat[2].label).to.equal('Topic');
    expect(c.forms.chat[2].options[0].label).to.deep.equal({ en: 'Order', it: 'Ordine' });
  });

  it('gives the desktop Not-ready reasons, dispositions and queue names per language', async () => {
    const reasons = (await api(t.url, 'GET', '/api/reasons', undefined, admin)).body;
    expect(reasons.notReady[0]).to.deep.equal({ id: 'break', label: BREAK });
    expect(reasons.dispositions[0]).to.deep.equal({ id: 'resolved', label: { en: 'Resolved', fr: 'Résolu' } });
    const queues = (await api(t.url, 'GET', '/api/routing/queues', undefined, admin)).body;
    expect(JSON.stringify(queues)).to.contain(JSON.stringify(QUEUE));
  });

  it("shows the offer again with the visitor's first line, never the option's label as what they wrote", async () => {
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }], available: true });
    const v = await startChat(t.url, { fields: { name: 'Ada Visitor' }, option: 'orders', language: 'it' });
    const first = await nextOffer(a);
    expect(first.interactionId).to.equal(v.interactionId);
    expect(first.queueName).to.deep.equal(QUEUE);
    expect(first.preview).to.deep.equal([]);
    const sent = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'My parcel never arrived' });
    expect(sent.type, JSON.stringify(sent)).to.equal('chat.ack');
    const again = await nextOffer(a);
    expect(again.offerId).to.equal(first.offerId);
    expect(again.preview).to.deep.equal(['My parcel never arrived']);
    // The bot's welcome was written in the visitor's language, by the title in it.
    const history = (await widget(t.url, 'GET', `/chats/${v.interactionId}`, undefined, v.token)).body.messages;
    expect(history.find((m: { authorKind: string }) => m.authorKind === 'bot')).to.include({ body: 'Grazie!', authorName: 'Parla con noi' });
    v.socket.close();
  });

  it('refuses a text in a language it does not know, or with no language at all, naming the key', () => {
    const problems = (set: Record<string, unknown>) => {
      try {
        loadConfig(makeConfigDir({ set }));
        return [];
      } catch (err) {
        return (err as ConfigError).problems.map((p) => `${p.file}: ${p.key}`);
      }
    };
    const named = (found: string[], key: string) => {
      expect(found, key).to.not.be.empty;
      for (const f of found) expect(f.startsWith(key), f).to.equal(true);
    };
    named(problems({ 'websites/example.yaml:look.title': { de: 'Sprechen Sie mit uns' } }), 'websites/example.yaml: look.title');
    named(problems({ 'reasons.yaml:notReady.0.label': {} }), 'reasons.yaml: notReady[0].label');
    named(problems({ 'queues.yaml:queues.0.name': { en: '' } }), 'queues.yaml: queues[0].name');
  });
});
