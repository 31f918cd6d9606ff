// A callback's rating mail follows its call: each attempt is its own interaction, closed with the
// agent who took it, but only one whose call the customer answered asks "How did we do?". The
// customer's phone is a sipp "PBX" behind the trunk, the agent's an auto-answering softphone.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { In } from 'typeorm';
import { sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';
import { callbackOf, closeStage, dialStage, takeOffer, type DialStage } from '../../test/callbacks.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { CallbackDueJob } from '../callbacks/due-job.js';
import { Interaction } from '../interactions/index.js';
import { OutgoingMail } from '../mail/outgoing-mail.entity.js';
import { CsatRating } from './csat-rating.entity.js';
import { inviteToRate, type RatingMail } from './invite.js';

describe('feedback: the rating mail of a callback whose call did or did not reach the customer', function () {
  this.timeout(120_000);

  it('a busy attempt asks nothing; the retry the customer answers mails one rating link, which rates it', async () => {
    let x: DialStage | undefined;
    let answering: ReturnType<typeof sipp> | undefined;
    try {
      x = await dialStage('uas-busy.xml', 1, {
        'queues.yaml:queues.3.callback': { attempts: 2, retryMinutes: 5 },
        'websites/example.yaml:csat': { enabled: true },
        'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } },
        'switchboard.yaml:imap.enabled': false,
      });
      const t = x.t;
      const db = t.sb.kernel.db;
      const email = `busy-${Date.now()}@example.com`;
      // A number of its own: a contact is matched by phone when the email is new, and an earlier
      // test's contact with this number would keep its own address.
      const digits = String(Date.now() % 1e8).padStart(8, '0');
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: `06 ${digits.slice(0, 4)} ${digits.slice(4)}`, email }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);

      // Busy: the attempt's interaction closes with the agent who took it, and asks for no rating.
      const busy = await takeOffer(x);
      const retry = await eventually(() => callbackOf(t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 200);
      expect(retry.lastCause).to.equal('486 busy');
      const closed = await eventually(() => db.getRepository(Interaction).findOneByOrFail({ id: busy }), (i) => i.state === 'closed', 200);
      expect(closed.assignedAgentId).to.equal(x.agent.id);
      const queued: RatingMail[] = [];
      const deps = { db, config: () => t.config, clock: t.sb.kernel.clock, log: t.sb.kernel.log, mailer: { queue: async (m: RatingMail) => queued.push(m) }, routing: { journey: async () => undefined } };
      // Read from its row, and as its close announced it.
      expect(await inviteToRate(deps, busy)).to.equal(false);
      expect(await inviteToRate(deps, { interactionId: busy, channel: 'callback', websiteId: closed.websiteId, contactId: closed.contactId, agentId: x.agent.id })).to.equal(false);
      expect(queued).to.deep.equal([]);
      expect((await x.pbx.done).code).to.equal(0);

      // The customer's line is free now: the retry reaches them.
      const port = t.sb.kernel.config().trunks[0]!.port;
      const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-csat-cb-')), 'pbx.log');
      answering = sipp({ scenario: 'uas-answer-any.xml', port, calls: 1, timeoutS: 120, extra: ['-trace_msg', '-message_file', trace] });
      await waitForUdpListener(port, answering);
      const due = new CallbackDueJob(t.sb.contexts.callbacks);
      await eventually(() => due.stateOf(retry.jobId!), (st) => st === 'delayed');
      await due.runNow(retry.jobId!);
      const answered = await takeOffer(x);
      await eventually(() => callbackOf(t, r.body.callbackId), (c) => c.state === 'completed', 200);
      await x.phone.incoming[1]!.bye();
      expect((await answering.done).code).to.equal(0);

      // One rating mail, the answered call's, sent when its close was announced; none for the busy one.
      const mails = await eventually(() => db.getRepository(OutgoingMail).findBy({ interactionId: In([busy, answered]), kind: 'csat' }), (rows) => rows.length > 0, 200);
      expect(mails.map((m) => [m.interactionId, m.toAddress])).to.deep.equal([[answered, email]]);
      const link = /https?:\/\/\S+\/rate\/([0-9a-f]{32})\/([A-Za-z0-9_-]{43})/.exec(mails[0]!.text);
      expect(link?.[1], mails[0]!.text).to.equal(answered);
      const rated = await fetch(`${t.url}${new URL(link![0]).pathname}`, { method: 'POST', body: 'rating=5', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url } });
      expect(rated.status).to.equal(201);
      expect(await db.getRepository(CsatRating).findOneByOrFail({ interactionId: answered })).to.include({ rating: 5, channel: 'callback', agentId: x.agent.id });
    } finally {
      answering?.kill();
      await closeStage(x);
    }
  });
});
