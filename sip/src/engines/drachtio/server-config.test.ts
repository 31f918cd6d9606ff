import { expect } from 'chai';
import { renderDrachtioConfig, type DrachtioServerConfig } from './server-config.js';

const base: DrachtioServerConfig = {
  admin: { host: '127.0.0.1', port: 9022, secret: 's3cret&"<x>' },
  sip: { host: '127.0.0.1', udpPort: 5060, tcpPort: 5060, wsPort: 5066 },
};

describe('drachtio-server configuration', () => {
  it('writes the admin port with the secret escaped, SIP on UDP/TCP and WebSocket, and console logs', () => {
    const xml = renderDrachtioConfig(base);
    expect(xml).to.include('<admin port="9022" secret="s3cret&amp;&quot;&lt;x&gt;">127.0.0.1</admin>');
    expect(xml).to.include('<contact>sip:127.0.0.1:5060;transport=udp,tcp</contact>');
    expect(xml).to.include('<contact>sip:127.0.0.1:5066;transport=ws</contact>');
    expect(xml).to.include('<console/>');
  });

  it('separates UDP and TCP on different ports, brackets IPv6 and names the public address', () => {
    const xml = renderDrachtioConfig({ ...base, sip: { host: '::1', udpPort: 5060, tcpPort: 5070, wsPort: 5066, publicHost: '203.0.113.7' } });
    expect(xml).to.include('<contact external-ip="203.0.113.7">sip:[::1]:5060;transport=udp</contact>');
    expect(xml).to.include('<contact external-ip="203.0.113.7">sip:[::1]:5070;transport=tcp</contact>');
  });

  for (const [label, bad] of [
    ['a host with markup', { ...base, sip: { ...base.sip, host: '127.0.0.1"><x' } }],
    ['a port out of range', { ...base, sip: { ...base.sip, wsPort: 70000 } }],
    ['an empty secret', { ...base, admin: { ...base.admin, secret: '' } }],
    ['a secret with a line break', { ...base, admin: { ...base.admin, secret: 'a\nb' } }],
  ] as const) {
    it(`refuses ${label}, naming it`, () => {
      expect(() => renderDrachtioConfig(bad as DrachtioServerConfig)).to.throw(/drachtio-server configuration: /);
    });
  }
});
