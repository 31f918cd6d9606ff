import net from 'node:net';

/**
 * A port the test controls in front of a real server (the local Postfix): stopped, it refuses
 * connections as a server that is down would; started again on the same port, it passes them on.
 * The shared mail system itself is never stopped.
 */
export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1') {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, targetHost);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  };
  await start();
  return {
    get port() {
      return port;
    },
    start,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
    },
  };
}
