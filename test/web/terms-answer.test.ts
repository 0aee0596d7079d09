/**
 * A posted answer to the terms page, judged against the terms as they stand now (pure): a form from before
 * a new version, for another agreement or file answers nothing; Accept of a PDF that must be read needs
 * the box ticked (the browser enforces it too, but the server does not trust it); Decline never does.
 */
import { describe, expect, it } from 'vitest';
import { type AnswerCheck, checkAnswer, type PostedAnswer, type TermsToShow } from '../../src/web/kit/terms-view.js';

const terms: TermsToShow = {
  tenantId: 't',
  agreementId: 'a1',
  displayName: 'Terms',
  version: 2,
  mustView: true,
  file: { id: 'f-en', language: 'en-US', kind: 'pdf', data: '', displayName: 'Terms' },
};
const posted: PostedAnswer = { answer: 'accept', agreementId: 'a1', version: '2', fileId: 'f-sv', read: 'yes' };
const files = ['f-en', 'f-sv'];

describe('checkAnswer', () => {
  it.each<[string, PostedAnswer, TermsToShow | undefined, AnswerCheck]>([
    ['Accept, read: accepted', posted, terms, { kind: 'answer', state: 'accepted' }],
    ['Accept of a PDF that must be read, not ticked', { ...posted, read: '' }, terms, { kind: 'must-read' }],
    ['Accept of a PDF that need not be read', { ...posted, read: '' }, { ...terms, mustView: false }, { kind: 'answer', state: 'accepted' }],
    [
      'Accept of text (always shown in full)',
      { ...posted, read: '' },
      { ...terms, file: { ...terms.file, kind: 'text' } },
      { kind: 'answer', state: 'accepted' },
    ],
    ['Decline, not ticked: declined', { ...posted, answer: 'decline', read: '' }, terms, { kind: 'answer', state: 'declined' }],
    ['a form from before a new version', { ...posted, version: '1' }, terms, { kind: 'stale' }],
    ['another agreement', { ...posted, agreementId: 'a2' }, terms, { kind: 'stale' }],
    ['a file the agreement does not have', { ...posted, fileId: 'f-de' }, terms, { kind: 'stale' }],
    ['nothing owed any more', posted, undefined, { kind: 'stale' }],
    ['no answer at all', { ...posted, answer: '' }, terms, { kind: 'stale' }],
  ])('%s', (_name, p, t, expected) => {
    expect(checkAnswer(p, t, files)).toEqual(expected);
  });
});
