// After a Prosody restart the rooms come back in bounded batches, and nothing done while Prosody
// was away leaves a promise rejected with nobody listening (#15 point 8). A real, scratch Prosody.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { makeConfigDir } from '../../test/config.js';
import { eventually } from '../../test/redis.js';
import { ScratchProsody } from '../../test/scratch-prosody.js';
import { loadConfig } from '../../kernel/config/load.js';
import { createLogger } from '../../kernel/logger.js';
import { XmppConnection } from './xmpp.js';
import { ChatRooms } from './rooms.js';
import { ManualClock } from '../../test/clock.js';

const ROOMS = 120;

describe('chat rooms across a Prosody restart', function () {
  this.timeout(180_000);

  it(`rebuilds ${ROOMS} rooms with their occupants, with no unhandled rejection from lines written while it was away`, async () => {
    const base = loadConfig(makeConfigDir()).main.xmpp;
    const prosody = await ScratchProsody.create(base);
    await prosody.start();
    const cfg = loadConfig(makeConfigDir({ set: prosody.settings })).main.xmpp;
    const xmpp = new XmppConnection(cfg, createLogger(process.env.SWITCHBOARD_TEST_LOG ?? 'silent'));
    // The rooms' join timeouts run on a clock the test moves, not on the wall clock.
    const clock = new ManualClock(new Date());
    const rooms = new ChatRooms(xmpp, createLogger('silent'), clock);
    xmpp.onMessage((s) => void rooms.onPresence(s));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    // Ours first: mocha would otherwise turn the first one into a failure of whichever test runs.
    const mochaHandlers = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      xmpp.start();
      await eventually(async () => xmpp.isOnline, (ok) => ok, 200);
      const run = randomBytes(4).toString('hex');
      const list = Array.from({ length: ROOMS }, (_, n) => ({
        jid: `r${run}-${n}@${cfg.mucDomain}`,
        id: `i${run}${n}`,
        p: { key: 'visitor', local: `v${run}-${n}`, name: `Visitor ${n}` },
      }));
      for (let i = 0; i < list.length; i += 20) await Promise.all(list.slice(i, i + 20).map((r) => rooms.present(r.jid, r.id, r.p)));

      await prosody.stop();
      await eventually(async () => xmpp.isOnline, (ok) => !ok, 200);
      // Lines written meanwhile want their rooms: each fails at once, to its caller.
      const during = await Promise.all(list.slice(0, 30).map((r) => rooms.present(r.jid, r.id, r.p).then(() => 'joined', (e: Error) => e.message)));
      expect(during.every((m) => m !== 'joined')).to.equal(true);

      await prosody.start();
      const t0 = performance.now();
      await eventually(async () => xmpp.isOnline, (ok) => ok, 400, 50);
      // Every room answers again with its occupant in (present() waits for the rejoin under way).
      await Promise.all(list.map((r) => rooms.present(r.jid, r.id, r.p)));
      const ms = Math.round(performance.now() - t0);
      // Past the join timeout, on the rooms' clock: every join timer of the test has run, so an
      // orphaned promise from the outage has rejected; Node tells of it once this turn is over.
      clock.at(6);
      await new Promise((r) => setImmediate(r));
      expect(unhandled.map(String)).to.deep.equal([]);
      console.log(`      ${ROOMS} rooms rebuilt ${ms} ms after Prosody listened again`);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const h of mochaHandlers) process.on('unhandledRejection', h as (r: unknown) => void);
      await xmpp.stop();
      await prosody.stop();
    }
  });
});
