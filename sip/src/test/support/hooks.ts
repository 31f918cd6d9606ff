// Mocha root hooks: an rtpengine the tests had to start themselves is stopped at the end, so a
// test run leaves no process behind (one found at RTPENGINE_NG is left alone).
import { stopOwnRtpengine } from './services.js';

export const mochaHooks = {
  afterAll(): void {
    stopOwnRtpengine();
  },
};
