import { expect } from 'chai';
import { hoursStatus } from './hours.js';
import type { Calendar } from '../../kernel/config/schema.js';

const office: Calendar = {
  id: 'office',
  timezone: 'Europe/Rome',
  weekly: { mon: ['09:00-13:00', '14:00-18:00'], tue: ['09:00-18:00'], wed: [], thu: [], fri: ['09:00-17:00'], sat: [], sun: [] },
  holidays: [{ date: '2026-12-08', name: 'Immacolata' }, { date: '2026-12-24', open: ['09:00-12:00'] }],
};

describe('working hours', () => {
  it('is open inside a range and says when it closes (local time, CET)', () => {
    const s = hoursStatus(office, new Date('2026-11-23T10:00:00Z')); // Monday 11:00 in Rome
    expect(s).to.deep.equal({ open: true, closesAt: '2026-11-23T12:00:00.000Z', nextOpening: null });
  });

  it('is closed over lunch and opens again at 14:00', () => {
    expect(hoursStatus(office, new Date('2026-11-23T12:30:00Z'))).to.deep.equal({ open: false, closesAt: null, nextOpening: '2026-11-23T13:00:00.000Z' });
  });

  it('skips closed days to the next opening', () => {
    // Tuesday 19:00 Rome → Friday 09:00 Rome
    expect(hoursStatus(office, new Date('2026-11-24T18:00:00Z')).nextOpening).to.equal('2026-11-27T08:00:00.000Z');
  });

  it('treats a holiday as closed, and holiday hours as that day’s only hours', () => {
    expect(hoursStatus(office, new Date('2026-12-08T10:00:00Z')).open).to.equal(false); // a Tuesday
    expect(hoursStatus(office, new Date('2026-12-24T10:00:00Z')).open).to.equal(true); // Thursday, special hours
    expect(hoursStatus(office, new Date('2026-12-24T11:30:00Z')).open).to.equal(false);
  });

  it('follows daylight saving time (CEST in summer)', () => {
    expect(hoursStatus(office, new Date('2026-06-01T07:30:00Z')).open).to.equal(true); // Monday 09:30 CEST
    expect(hoursStatus(office, new Date('2026-06-01T06:30:00Z')).nextOpening).to.equal('2026-06-01T07:00:00.000Z');
  });

  it('is always open without a calendar', () => {
    expect(hoursStatus(undefined).open).to.equal(true);
  });
});
