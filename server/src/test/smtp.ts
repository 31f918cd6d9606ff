import net from 'node:net';

export interface SmtpSink {
  port: number;
  /** Each message accepted, headers and body as sent. */
  mails: string[];
  /**
   * What the server answers to RCPT TO (e.g. `550 5.1.1 no such user`, `451 4.3.0 try later`);
   * null accepts. Changed by the test while the server runs.
   */
  rcptReply: string | null;
  /** How many RCPT TO commands it heard: the tries of the sender. */
  rcptCount: number;
  close(): Promise<void>;
}

/** Just enough SMTP for a test: accepts each message (into `mails`), or refuses recipients as the test says. */
export async function smtpSink(port = 0): Promise<SmtpSink> {
  const sink: SmtpSink = { port: 0, mails: [], rcptReply: null, rcptCount: 0, close: async () => undefined };
  const server = net.createServer((sock) => {
    let data = false;
    let buf = '';
    sock.write('220 sink\r\n');
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf += d.toString();
      if (data) {
        const end = buf.indexOf('\r\n.\r\n');
        if (end < 0) return;
        sink.mails.push(buf.slice(0, end));
        buf = buf.slice(end + 5);
        data = false;
        sock.write('250 queued\r\n');
      }
      let nl: number;
      while (!data && (nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (/^EHLO/i.test(line)) sock.write('250-sink\r\n250 8BITMIME\r\n');
        else if (/^RCPT/i.test(line)) {
          sink.rcptCount++;
          sock.write(`${sink.rcptReply ?? '250 ok'}\r\n`);
        } else if (/^DATA/i.test(line)) {
          data = true;
          sock.write('354 go\r\n');
        } else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n');
        else sock.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  sink.port = (server.address() as net.AddressInfo).port;
  sink.close = () => new Promise((r) => server.close(() => r()));
  return sink;
}
