import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { keyPaths } from './keys.js';
import { agentsFile, hoursFile, queuesFile, reasonsFile, switchboardFile, trunksFile, websiteFile } from './schema.js';
import { REPO } from '../../test/env.js';

describe('configuration reference', () => {
  const doc = readFileSync(path.join(REPO, 'docs/config-reference.md'), 'utf8');
  const files = { 'switchboard.yaml': switchboardFile, 'trunks.yaml': trunksFile, 'hours.yaml': hoursFile, 'queues.yaml': queuesFile, 'reasons.yaml': reasonsFile, 'websites/<id>.yaml': websiteFile, 'agents.yaml': agentsFile };

  for (const [file, schema] of Object.entries(files)) {
    it(`documents every key of ${file}`, () => {
      const section = doc.split(/^## /m).find((s) => s.startsWith(`\`${file}\``));
      expect(section, `docs/config-reference.md has no section "## \`${file}\`"`).to.be.a('string');
      const keys = [...new Set(keyPaths(schema).map((k) => k.replace(/^forms\.(chat|call|video|callback|mail|offline)\[\]/, 'forms.<channel>[]')))];
      const missing = keys.filter((k) => !section!.includes(`\`${k}\``));
      expect(missing, `undocumented keys of ${file}`).to.deep.equal([]);
    });
  }

  it('lists key paths through objects, arrays and unions', () => {
    expect(keyPaths(queuesFile)).to.include.members(['skills[].id', 'queues[].skills[].level', 'queues[].destination.trunk']);
    expect(keyPaths(websiteFile)).to.include.members(['forms.chat[].options[].value', 'channels.mail.forwardTo']);
  });
});
