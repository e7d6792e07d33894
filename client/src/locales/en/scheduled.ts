// English strings: scheduled send (the composer's "Send later", our scheduled messages in a
// conversation). Part of en.ts.

const scheduled = {
  scheduled: {
    sendLater: 'Send later',
    when: 'Send at',
    confirm: 'Schedule',
    listLabel: 'Your scheduled messages (only you see them until they are sent)',
    at: 'Scheduled for {{time}}',
    failed: 'Not sent: {{reason}}',
    edit: 'Edit',
    textLabel: 'Text of the scheduled message',
    save: 'Save',
    discard: 'Discard changes',
    cancel: 'Cancel sending',
    dismiss: 'Dismiss',
  },
};

export default scheduled;
