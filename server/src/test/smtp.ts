import net from 'node:net';

/** Just enough SMTP for a test: each message Switchboard sends lands in `mails` (headers and body, as sent). */
export async function smtpSink(): Promise<{ port: number; mails: string[]; close(): Promise<void> }> {
  const mails: string[] = [];
  const server = net.createServer((sock) => {
    let data = false;
    let buf = '';
    sock.write('220 sink\r\n');
    sock.on('data', (d) => {
      buf += d.toString();
      if (data) {
        const end = buf.indexOf('\r\n.\r\n');
        if (end < 0) return;
        mails.push(buf.slice(0, end));
        buf = buf.slice(end + 5);
        data = false;
        sock.write('250 queued\r\n');
      }
      let nl: number;
      while (!data && (nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (/^EHLO/i.test(line)) sock.write('250-sink\r\n250 8BITMIME\r\n');
        else if (/^DATA/i.test(line)) {
          data = true;
          sock.write('354 go\r\n');
        } else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n');
        else sock.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, mails, close: () => new Promise((r) => server.close(() => r())) };
}

