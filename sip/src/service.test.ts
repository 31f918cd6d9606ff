import { expect } from 'chai';
import { startSipService } from './service.js';
import { InMemoryCallRecorder } from './call/recorder.js';
import { freePort } from './test/support/services.js';
import { finalResponse, statusOf, udpClient } from './test/support/raw.js';

describe('startSipService', () => {
  it('listens, challenges an unauthenticated INVITE, and closes cleanly', async () => {
    const port = await freePort();
    const svc = await startSipService({
      listen: { host: '127.0.0.1', udpPort: port },
      // Not trusted: this test's client is on 127.0.0.1 like the trunk.
      trunk: { host: '127.0.0.1', port: await freePort(), transport: 'udp', trustedAddresses: ['127.0.0.2'] },
      realm: 'sb.test',
      authenticator: { lookup: async () => undefined },
      router: { routeWidgetCall: async () => undefined, agentExtension: async () => undefined },
      recorder: new InMemoryCallRecorder(),
      keepaliveMs: 0,
    });
    const c = await udpClient(port);
    try {
      c.send(['INVITE sip:7000@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKsvc1', 'From: <sip:a@127.0.0.1>;tag=s1',
        'To: <sip:7000@127.0.0.1>', 'Call-ID: svc-1', 'CSeq: 1 INVITE', 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n'));
      expect(statusOf(await finalResponse(c))).to.equal(407);
      expect(svc.media.kind).to.equal('passthrough');
      expect(svc.engine.dialogs.size, 'dialogs left over').to.equal(0);
      expect(svc.calls.activeSessions.size, 'call sessions left over').to.equal(0);
    } finally {
      c.close();
      await svc.close();
    }
  });

  it('fails to start, naming the problem, when the SIP port is taken', async () => {
    const port = await freePort();
    const base = {
      trunk: { host: '127.0.0.1', port: await freePort(), transport: 'udp' as const }, realm: 'sb.test',
      authenticator: { lookup: async () => undefined },
      router: { routeWidgetCall: async () => undefined, agentExtension: async () => undefined },
      recorder: new InMemoryCallRecorder(), keepaliveMs: 0,
    };
    const first = await startSipService({ ...base, listen: { host: '127.0.0.1', udpPort: port } });
    try {
      let error: unknown;
      await startSipService({ ...base, listen: { host: '127.0.0.1', udpPort: port } }).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
