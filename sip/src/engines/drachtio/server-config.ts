// drachtio-server's configuration file as Switchboard needs it, written from Switchboard's own
// configuration (the server's `services drachtio-config` command; the compose file's drachtio
// profile mounts the result): the admin port and secret Switchboard connects with, SIP on UDP/TCP
// and WebSocket where browsers and the PBX reach it, logs on the console.
export interface DrachtioServerConfig {
  admin: { host: string; port: number; secret: string };
  sip: {
    host: string;
    udpPort: number;
    tcpPort: number;
    wsPort: number;
    /** The address peers see when it differs from `host` (NAT, containers). */
    publicHost?: string;
  };
  /** drachtio-server's own log level (default notice: one line per problem, not per message). */
  logLevel?: 'error' | 'warning' | 'notice' | 'info' | 'debug';
}

const HOST = /^[A-Za-z0-9.:-]+$/;

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The file's text; throws naming the value when one cannot be written into it. */
export function renderDrachtioConfig(c: DrachtioServerConfig): string {
  for (const [name, host] of [['admin host', c.admin.host], ['sip host', c.sip.host], ['sip publicHost', c.sip.publicHost]] as const) {
    if (host !== undefined && !HOST.test(host)) throw new Error(`drachtio-server configuration: ${name} "${host}" is not a host name or address`);
  }
  for (const [name, port] of [['admin port', c.admin.port], ['udpPort', c.sip.udpPort], ['tcpPort', c.sip.tcpPort], ['wsPort', c.sip.wsPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`drachtio-server configuration: ${name} ${port} is not a port`);
  }
  // drachtio-server reads the secret from the file as is: no line breaks or control characters.
  // eslint-disable-next-line no-control-regex
  if (!c.admin.secret || /[\x00-\x1f\x7f]/.test(c.admin.secret)) throw new Error('drachtio-server configuration: the secret must be non-empty text on one line');
  const external = c.sip.publicHost ? ` external-ip="${c.sip.publicHost}"` : '';
  const host = c.sip.host.includes(':') ? `[${c.sip.host}]` : c.sip.host;
  const contacts = c.sip.udpPort === c.sip.tcpPort
    ? [`sip:${host}:${c.sip.udpPort};transport=udp,tcp`]
    : [`sip:${host}:${c.sip.udpPort};transport=udp`, `sip:${host}:${c.sip.tcpPort};transport=tcp`];
  contacts.push(`sip:${host}:${c.sip.wsPort};transport=ws`);
  return [
    '<!-- Written by Switchboard (services drachtio-config) from its configuration: edit that instead. -->',
    '<drachtio>',
    `  <admin port="${c.admin.port}" secret="${xml(c.admin.secret)}">${c.admin.host}</admin>`,
    '  <sip>',
    '    <contacts>',
    ...contacts.map((u) => `      <contact${external}>${u}</contact>`),
    '    </contacts>',
    '  </sip>',
    '  <cdrs>false</cdrs>',
    '  <logging>',
    '    <console/>',
    '    <sofia-loglevel>1</sofia-loglevel>',
    `    <loglevel>${c.logLevel ?? 'notice'}</loglevel>`,
    '  </logging>',
    '</drachtio>',
    '',
  ].join('\n');
}
