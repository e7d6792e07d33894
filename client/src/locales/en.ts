// English strings. The key structure is the reference: ru.ts has the same keys (checked by
// i18n.test.ts), with Russian plural suffixes (_one/_few/_many/_other) where these have
// _one/_other. The server's `error` sentences are never shown: its `code` is, in these words
// (`errors.code`: one for every code of the generated `ErrorCode` and for the two codes of a
// failed sign-in's `auth_error` only, typed in errorCodes.ts; else this fails to compile).
// The larger areas are files of their own in en/ (errors, chats, conversation, moderation,
// safeguarding, scheduled), merged here into the one resource object.

import chats from './en/chats';
import conversation from './en/conversation';
import errors from './en/errors';
import moderation from './en/moderation';
import safeguarding from './en/safeguarding';
import scheduled from './en/scheduled';

const en = {
  app: {
    loading: 'Loading…',
    tryAgain: 'Try again',
    sessionEnded: 'Your session has ended. Please sign in again.',
  },
  errors,
  language: {
    label: 'Language',
    en: 'English',
    ru: 'Русский',
  },
  roles: {
    student: 'Student',
    teacher: 'Teacher',
    admin: 'Admin',
    guest: 'Guest',
    guardian: 'Guardian',
  },
  signIn: {
    title: 'Sign in',
    demo: 'This is a demo: choose who you want to be.',
    loadingUsers: 'Loading users…',
    school: 'Sign in with your school account',
    notConfigured: "Sign-in is not configured on this server. Ask the school's administrator.",
  },
  connection: {
    live: 'live',
    reconnecting: 'reconnecting',
    liveHint: 'Receiving messages live',
    reconnectingHint: 'Connection lost, reconnecting…',
    ended: 'closed',
    endedHint: 'This conversation is closed: nothing more arrives here.',
  },
  /** An admin's view, from a chat they read, of who read it without taking part in it. */
  chatReaders: {
    button: 'Who read it',
    title: 'Who read “{{title}}”',
    intro: 'Every time someone who takes no part in this chat read it (administrators, guardians), newest first. Its participants see the same under “Who read my chats”.',
    empty: 'Nobody outside this chat has read it.',
    more: 'Show older',
  },
  readers: {
    button: 'Who read my chats',
    title: 'Who read my chats',
    intro: 'Adults who take no part in your chats, such as the school’s administrators or your guardians, and what they read. The school keeps this as long as the messages.',
    empty: 'Nobody outside your chats has read them.',
    loading: 'Loading…',
    via: {
      history: 'opened the conversation',
      export: 'exported the conversation',
      search: 'found it in a search',
      stream: 'followed it live',
      attachment: 'downloaded a file from the conversation',
      chat_list: 'saw the latest message in their chat list',
      other: 'read it',
    },
    reads_one: '{{count}} time',
    reads_other: '{{count}} times',
    last: 'last {{when}}',
    close: 'Close',
  },
  /** An admin's School tab: the school's own settings over the deployment's defaults. */
  school: {
    tab: 'School',
    loading: 'Loading the school’s settings…',
    hint: 'Leave a field blank to keep the default, shown in grey. A change reaches everyone within moments.',
    name: 'School name (on exports)',
    timeZone: 'Time zone (quiet hours, exports, emails)',
    quietHours: 'Quiet hours for students (e.g. 21:00-08:00, or off)',
    quietNone: 'off',
    familyQuietHours: 'Quiet hours for families (e.g. 22:30-07:00, off, or students for the students’ hours)',
    familyAsStudents: 'students',
    editing: 'Editing sent messages',
    retention: 'Days a message keeps its text and files (1–36500; older ones are removed)',
    retentionForever: 'for ever',
    emailNotify: 'Email for people who chose nothing (instant, digest, none, or e.g. guardian=instant,teacher=digest)',
    language: 'Language of the emails to people who chose none',
    languageDefault: 'Default ({{value}})',
    emailSender: 'Name the emails come from (the address stays the school’s)',
    editingDefault: 'Default ({{value}})',
    editingOn: 'Allowed',
    editingOff: 'Not allowed',
    guardianGroups: 'What guardians read of their children’s groups',
    guardianGroupsDefault: 'Default ({{value}})',
    guardianGroupsNone: 'Nothing',
    guardianGroupsOwn: 'Their own child’s messages',
    save: 'Save',
    saved: 'Saved.',
    refused: 'The school could not take these settings: check the time zone, the quiet hours, the name (1–100 characters), the days (1–36500) and the email setting.',
  },
  /** A parent or carer reading their children's chats, the notice their chats carry, and an admin's links. */
  guardians: {
    chatsTitle: 'Your children’s chats',
    noChats: 'No chats to read yet. When the school links you to your child, their chats with teachers appear here.',
    wardChat: 'Chat of {{name}}',
    readOnly: 'You read this chat as a guardian; you cannot write here',
    notice: 'The student’s guardians can read this chat',
    groupNotice: 'Guardians can read their own child’s messages in this group',
    wardOnly: 'only {{name}}’s messages',
    wardOnlyChat: 'You read only {{name}}’s own messages in this group',
    tab: 'Guardians',
    intro: 'A guardian reads the direct chats of the students linked to them, from the moment of linking on, and writes nothing.',
    loading: 'Loading…',
    noLinks: 'No guardian is linked to a student.',
    guardian: 'Guardian',
    student: 'Student',
    choose: 'Choose…',
    link: 'Link',
    linking: 'Linking…',
    unlink: 'Unlink',
    unlinkLabel: 'Unlink {{guardian}} from {{student}}',
    linked: '{{guardian}} reads the chats of {{student}}',
  },
  /** A guardian's own chat with a teacher of their child (a family chat). */
  email: {
    button: 'Email notifications',
    title: 'Email notifications',
    intro: 'When you have not opened the chat for a while, we can email you what you have not read. Every email has a link to stop them.',
    unavailable: 'Your school does not send email.',
    to: 'Emails go to {{address}}',
    noAddress: 'We have no email address for you.',
    default: 'As the school decides ({{choice}})',
    close: 'Close',
    choices: {
      instant: 'An email for each new message',
      digest: 'One email a day',
      none: 'No emails',
    },
  },
  families: {
    section: 'Your chats with teachers',
    school: 'From the school',
    about: 'about {{names}}',
    ended: 'This chat is read-only: it concerns none of your children now (the school ended the link).',
  },
  devices: {
    /** The button (the person's own name and picture) that opens the list. */
    button: 'Your devices',
    title: 'Your devices',
    intro:
      'Where you are signed in. A device stays signed in while it is used, up to a limit your school sets. Sign out any you do not recognise.',
    loading: 'Loading…',
    thisDevice: 'This device',
    unknownDevice: 'Unknown device',
    lastUsed: 'last used {{when}}',
    from: 'from {{address}}',
    signOut: 'Sign out',
    signOutLabel: 'Sign out: {{device}}, last used {{when}}',
    everywhere: 'Sign out everywhere',
    close: 'Close',
  },
  workspace: {
    signOut: 'Sign out',
    conversation: 'Conversation',
    chooseToRead: 'Choose a chat to read it.',
    chooseToTalk: 'Choose a chat to start talking.',
    /** The page's level-one heading (read by screen readers only). */
    heading: 'Tutorchat: chats of {{name}}',
  },
  ...chats,
  ...conversation,
  ...moderation,
  ...safeguarding,
  ...scheduled,
  time: {
    now: 'now',
    minutes: '{{count}} min',
    hours: '{{count}} h',
    today: 'Today',
    yesterday: 'Yesterday',
  },
  /** Web Push. `newMessage` and `newMessages`: the service worker's words (src/sw/push.ts keeps a copy, checked by serviceWorker.test.ts). */
  pwa: {
    updateReady: 'A new version is available',
    reload: 'Reload',
  },
  push: {
    enable: 'Enable notifications',
    enableHint: 'Get a notification of new messages while this site is closed',
    disable: 'Disable notifications',
    onHint: 'Notifications of new messages are on in this browser',
    enabling: 'Enabling notifications…',
    disabling: 'Disabling notifications…',
    blocked: 'Notifications blocked',
    blockedHelp:
      'This browser blocks notifications from this site. To allow them, open the site settings (the icon left of the address), set Notifications to Allow, then reload the page.',
    failed: 'Could not change notifications. {{error}}',
    timeout: "The browser's notification service did not answer. Try again later.",
    close: 'Close',
    newMessage: 'New message',
    newMessages_one: '{{count}} new message',
    newMessages_other: '{{count}} new messages',
  },
};

export default en;
