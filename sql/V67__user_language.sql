-- The language a person reads, as they chose it in the web app (its RU/EN switch): the school
-- writes its emails to them in it. NULL: not chosen, the school's (SCHOOL_LANGUAGE).

ALTER TABLE users ADD COLUMN language text CHECK (language IN ('ru', 'en'));

COMMENT ON COLUMN users.language IS 'The language the person chose in the web app (ru, en), which their emails are written in; NULL: the school''s default (SCHOOL_LANGUAGE). Set by PUT /api/me/language.';
