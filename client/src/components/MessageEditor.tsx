import { type FormEvent, type KeyboardEvent, useId, useLayoutEffect, useRef, useState } from 'react';

import { useLocale } from '../i18n';
import { sendBlocker } from '../conversation/compose';
import { fitHeight } from './fitHeight';

/** Editing a message in its bubble: Enter saves, Shift+Enter is a new line, Esc cancels. */
export function MessageEditor(props: {
  initial: string;
  onSave: (content: string) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useLocale();
  const [text, setText] = useState(props.initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const blocker = sendBlocker(text);
  const hintId = useId();

  useLayoutEffect(() => fitHeight(input.current), [text]);

  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  const save = async () => {
    if (saving || blocker) return;
    if (text === props.initial) {
      props.onCancel();
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await props.onSave(text); // closes the editor
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setSaving(false);
      input.current?.focus();
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape' && !saving) {
      event.preventDefault();
      props.onCancel();
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void save();
  };

  return (
    <form className="editor" onSubmit={onSubmit}>
      <textarea
        ref={input}
        data-testid="edit-input"
        rows={1}
        value={text}
        aria-label={t('message.editLabel')}
        aria-describedby={hintId}
        aria-invalid={blocker === 'too-long'}
        readOnly={saving}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <span id={hintId} className="visually-hidden">
        {t('message.editHint')}
      </span>
      {error && (
        <p className="edit-error" role="alert" data-testid="edit-error">
          {t('message.notSaved', { error })}
        </p>
      )}
      <div className="editor-actions">
        <button type="button" className="link-button" data-testid="cancel-edit" onClick={props.onCancel} disabled={saving}>
          {t('message.cancel')}
        </button>
        <button type="submit" className="link-button" data-testid="save-edit" disabled={saving || blocker !== null}>
          {saving ? t('message.saving') : t('message.save')}
        </button>
      </div>
    </form>
  );
}
