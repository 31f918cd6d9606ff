// Data lives in volumes: after `down` (containers removed) and `up` (images rebuilt from the
// cache, containers made anew) the chat of the earlier test is still in the history with every
// line, and the visitor's file still downloads with the same bytes.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { api, login } from '../../widget/test/harness.ts';
import { shared, stackUp, type Stack } from './stack.ts';

describe('Docker: down and up keep the chat history and the uploads', function () {
  this.timeout(600_000);
  let s: Stack;
  before(async () => {
    s = await stackUp();
    expect(shared.chat, 'the chat test ran before this one').to.exist;
  });

  it('removes every container on `down`, keeps the volumes, and starts healthy again on `up`', async () => {
    await s.docker('down');
    expect(await s.containers()).to.deep.equal({});
    const volumes = (await s.client('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${s.project}`)).split('\n').filter(Boolean);
    expect(volumes.map((v) => v.slice(s.project.length + 1))).to.include.members(['mariadb', 'redis', 'prosody', 'uploads', 'certificates']);
    await s.docker('up');
    const c = await s.containers();
    expect(c.switchboard).to.include({ status: 'running', health: 'healthy' });
  });

  it('still has the chat, every line in order, and the visitor’s file with the same bytes', async () => {
    const chat = shared.chat!;
    const token = await login(s.url, shared.agent!.username, shared.agent!.password);
    const record = await api(s.url, 'GET', `/api/history/interactions/${chat.interactionId}`, undefined, token);
    expect(record.status, JSON.stringify(record.body)).to.equal(200);
    const bodies = (record.body.messages as { body: string }[]).map((m) => m.body).filter((b) => /^DOCKER-/.test(b));
    expect(bodies).to.deep.equal(chat.lines);
    const res = await fetch(`${s.url}/api/chats/${chat.interactionId}/files/${chat.fileId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).to.equal(chat.fileSha256);
  });
});
