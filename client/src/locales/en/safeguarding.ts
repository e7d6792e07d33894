// English strings: quiet hours (held messages) and flags (the moderators' queue, the school's
// list of terms). Part of en.ts.

const safeguarding = {
  held: {
    listLabel: 'Held until quiet hours end',
    deliverAt: 'Will be delivered at {{time}}',
    attachmentsOnly_one: '({{count}} file)',
    attachmentsOnly_other: '({{count}} files)',
    tab: 'Held',
    panelHint: 'Teachers’ messages written in quiet hours. Nobody else sees them until they are delivered.',
    loading: 'Loading held messages…',
    none: 'No message is held.',
    deliverNow: 'Deliver now',
    delivering: 'Delivering…',
    someone: 'User {{id}}',
  },
  flags: {
    heading: 'Flags',
    reportsHeading: 'Reports',
    loading: 'Loading flags…',
    none: 'No open flags.',
    flaggedBySystem: 'Flagged automatically',
    cause: 'Cause: {{cause}}',
    clear: 'Clear',
    resolvedCleared: 'Resolved: cleared',
    termsTitle: 'Flagged words',
    termsHint: 'A new message matching one of these (in any form of its words) is flagged.',
    termsLoading: 'Loading the words…',
    noTerms: 'No words yet.',
    newTerm: 'New word or phrase',
    termPlaceholder: 'e.g. “meet in person” or phone',
    add: 'Add',
    remove: 'Delete',
    removeTerm: 'Delete “{{term}}”',
    termExists: 'This word is on the list already.',
    termNoWord: 'It has no word a search would match (only words such as “and”, “the”).',
  },
};

export default safeguarding;
