import { describe, expect, it } from 'vitest';
import { callContext } from './call-context';

describe('callContext', () => {
  it('reads the configured Switchboard header names and keeps form fields in order', () => {
    const ctx = callContext([
      ['X-Switchboard-Interaction', 'ix-1'],
      ['X-Switchboard-Name', 'Maria Rossi'],
      ['X-Switchboard-Email', 'maria@example.com'],
      ['X-Switchboard-Website', 'example'],
      ['X-Form-Order', 'A-42'],
      ['X-Form-Reason', 'Broken screen'],
      ['Via', 'SIP/2.0/WS x'],
    ]);
    expect(ctx).toEqual({
      interactionId: 'ix-1', name: 'Maria Rossi', email: 'maria@example.com', phone: null, website: 'example',
      fields: [['Order', 'A-42'], ['Reason', 'Broken screen']],
    });
  });

  it("reads the SIP package's default names, and a form field called name stays a field", () => {
    const ctx = callContext([['X-Interaction-Id', 'ix-2'], ['X-Customer-Name', 'Ana'], ['X-Customer-Phone', '+39 02 1'], ['X-Form-Name', 'other']]);
    expect(ctx.interactionId).toBe('ix-2');
    expect(ctx.name).toBe('Ana');
    expect(ctx.phone).toBe('+39 02 1');
    expect(ctx.fields).toEqual([['Name', 'other']]);
  });

  it('decodes UTF-8 that arrived as Latin-1 bytes and ignores transport headers', () => {
    const bytes = String.fromCharCode(...new TextEncoder().encode('Zoë Ñandú'));
    const ctx = callContext([['X-Switchboard-Name', bytes], ['X-End-Cause', 'normal']]);
    expect(ctx.name).toBe('Zoë Ñandú');
    expect(ctx.fields).toEqual([]);
  });
});
