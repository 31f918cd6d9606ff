// The default forms live in protocol/ because the widget draws them and the server validates
// against them. They must stay forms a website could configure itself: the config schema has to
// accept them unchanged, and the server has to take the answers the widget collects with them.
import { expect } from 'chai';
import { DEFAULT_FORMS } from '@switchboard/protocol';
import { formField } from '../../kernel/config/schema.js';
import { DEFAULT_CALLBACK_FORM, DEFAULT_CHAT_FORM, DEFAULT_MAIL_FORM, DEFAULT_OFFLINE_FORM, validateForm } from './forms.js';

describe('default forms', () => {
  it('are forms the website configuration accepts unchanged', () => {
    for (const [name, form] of Object.entries(DEFAULT_FORMS)) {
      for (const field of form) expect(formField.parse(field), `${name}: ${JSON.stringify(field)}`).to.deep.equal(field);
    }
  });

  it('are the lists the server validates with', () => {
    expect(DEFAULT_CHAT_FORM).to.deep.equal(DEFAULT_FORMS.chat);
    expect(DEFAULT_OFFLINE_FORM).to.deep.equal(DEFAULT_FORMS.offline);
    expect(DEFAULT_MAIL_FORM).to.deep.equal(DEFAULT_FORMS.mail);
    expect(DEFAULT_CALLBACK_FORM).to.deep.equal(DEFAULT_FORMS.callback);
  });

  it('map the chat form to the contact and refuse it without an email', () => {
    const ok = validateForm(DEFAULT_CHAT_FORM, { name: 'Ada', email: 'ada@example.com' });
    expect(ok.contact).to.deep.include({ name: 'Ada', email: 'ada@example.com' });
    expect(() => validateForm(DEFAULT_CHAT_FORM, { name: 'Ada' })).to.throw().with.property('fields').that.deep.includes({ field: 'fields.email', problem: 'is required' });
  });
});
