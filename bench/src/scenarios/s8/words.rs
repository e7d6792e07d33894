//! S8's words: a vocabulary of Zipf frequencies (real words, then made-up ones), texts, typos.

/// Words in the vocabulary (ranks 1 ..= this).
pub const VOCABULARY: i64 = 500_000;

/// The words of a message: from 3 to 3 + 11.
const WORDS_MIN: i64 = 3;

const WORDS_SPREAD: i64 = 12;

/// The ranks of a medium word and of a rare one.
pub const MEDIUM: (i64, i64) = (300, 3_000);

pub const RARE: (i64, i64) = (100_000, VOCABULARY);

/// The vocabulary's first ranks: real words of a tutoring chat, Russian and English in turn,
/// stop words among the most frequent (they are in the text, not in the index).
pub const HEAD: &str = "и урок the homework в задание to вопрос не lesson на question что ответ and answer я тест is test с \
     exam а экзамен you textbook это учебник it exercise как упражнение of задача по problem for пример \
     but example мы решение in solution он ошибка at mistake все правило we rule так тема be topic уже \
     текст have text только слово can word можно перевод do translation нужно грамматика will grammar \
     завтра словарь tomorrow dictionary сегодня оценка today grade вчера математика yesterday math неделя \
     физика week physics понедельник химия monday chemistry вторник история tuesday history среда \
     литература wednesday literature четверг английский thursday english пятница русский friday russian \
     суббота диктант saturday essay воскресенье сочинение sunday quiz утро контрольная morning chapter \
     вечер глава evening page расписание страница schedule paragraph занятие параграф class formula \
     перенести формула reschedule equation отменить уравнение cancel graph начать график start function \
     закончить функция finish fraction прочитать дробь read number написать число write minute решить \
     время solve hour проверить минута check day повторить час repeat month выучить месяц learn year \
     понять год understand holiday объяснить каникулы explain project спасибо проект thanks report \
     пожалуйста доклад please article хорошо реферат great sentence отлично статья sure verb понятно \
     абзац difficult noun конечно предложение easy adjective сложно глагол interesting adverb легко \
     существительное option tense интересно прилагательное send pronunciation вариант наречие file \
     listening отправить падеж photo reading файл склонение link writing фото спряжение slides speaking \
     ссылка произношение video vocabulary презентация аудирование audio idiom видео чтение notes phrase \
     конспект письмо plan dialogue план говорение goal deadline цель лексика result draft результат \
     идиома progress feedback прогресс фраза score review балл диалог level practice уровень курс course \
     revision группа класс group worksheet школа университет school assignment преподаватель ученик \
     university teacher студент родитель student parent книга тетрадь book notebook ручка карандаш pen \
     pencil доска компьютер board computer интернет звонок internet call встреча олимпиада meeting \
     olympiad";

/// The head's words, most frequent first.
pub fn head() -> Vec<&'static str> {
    HEAD.split_whitespace().collect()
}

/// Made-up words beyond the head: four syllables (consonant, vowel) and a closing consonant,
/// Russian for two ranks in three, Latin for the third; the rank, scrambled (an odd multiplier
/// modulo 2^20, a bijection), gives the syllables, so each rank has a word of its own.
const SYLLABLES_RU: [&str; 32] = [
    "ба", "бо", "бу", "би", "га", "го", "гу", "ги", "да", "до", "ду", "ди", "ка", "ко", "ку", "ки", "ма", "мо", "му",
    "ми", "па", "по", "пу", "пи", "ра", "ро", "ру", "ри", "са", "со", "су", "си",
];

const SYLLABLES_EN: [&str; 32] = [
    "ba", "bo", "bu", "bi", "da", "do", "du", "di", "ga", "go", "gu", "gi", "ka", "ko", "ku", "ki", "ma", "mo", "mu",
    "mi", "pa", "po", "pu", "pi", "ra", "ro", "ru", "ri", "ta", "to", "tu", "ti",
];

const CLOSING_RU: [&str; 8] = ["к", "п", "д", "б", "г", "з", "ш", "ф"];

const CLOSING_EN: [&str; 8] = ["k", "p", "d", "b", "g", "z", "x", "t"];

fn array(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{}'", w.replace('\'', "''"))).collect();
    format!("(ARRAY[{}]::text[])", quoted.join(","))
}

/// The word of rank `r` (an SQL expression over `r` and `x`, the rank scrambled).
fn word_sql(r: &str, x: &str) -> String {
    let tail = |syllables: &[&str], closing: &[&str]| {
        let s = array(syllables);
        format!(
            "{s}[{x} % 32 + 1] || {s}[{x} / 32 % 32 + 1] || {s}[{x} / 1024 % 32 + 1] || {s}[{x} / 32768 % 32 + 1] || {}[{x} % 8 + 1]",
            array(closing)
        )
    };
    format!(
        "CASE WHEN {r} <= {} THEN {}[{r}] WHEN {r} % 3 <> 0 THEN {} ELSE {} END",
        head().len(),
        array(&head()),
        tail(&SYLLABLES_RU, &CLOSING_RU),
        tail(&SYLLABLES_EN, &CLOSING_EN)
    )
}

/// The rank `r`, scrambled: `x` in [`word_sql`].
fn scrambled(r: &str) -> String {
    format!("({r}::bigint * 40503) % 1048576")
}

/// A message's text for `s4::seed` (over its chat `c` and number `g`): its words, each of rank
/// ⌊(V + 1)^u⌋ for a uniform u, which is Zipf's law with exponent 1 (P(r) = ln(1 + 1/r) /
/// ln(V + 1)). The number of words depends on `c` and `g`, which also makes the subquery run
/// again for each message.
pub fn content_sql() -> String {
    format!(
        "(SELECT string_agg({}, ' ') FROM (SELECT r, {} AS x FROM (
             SELECT floor(power({}::float8, random()))::int AS r
             FROM generate_series(1, {WORDS_MIN} + (c.id * 31 + g * 17) % {WORDS_SPREAD})) r) w)",
        word_sql("w.r", "w.x"),
        scrambled("r"),
        VOCABULARY + 1
    )
}

/// The vocabulary as a table, `bench_words (rank, word)`: which rank a word of a message has.
pub(super) fn vocabulary_sql() -> String {
    format!(
        "CREATE TABLE bench_words AS
             SELECT w.r AS rank, {} AS word FROM (SELECT r, {} AS x FROM generate_series(1, {VOCABULARY}) r) w;
         CREATE INDEX ON bench_words (word);
         ANALYZE bench_words;",
        word_sql("w.r", "w.x"),
        scrambled("r")
    )
}

/// A typo: two neighbouring letters in the middle of the word swapped (the first pair that
/// differs from there on), or the word unchanged if it has no two different letters.
pub fn typo(word: &str) -> String {
    let mut letters: Vec<char> = word.chars().collect();
    let n = letters.len();
    if n < 2 {
        return word.to_owned();
    }
    let start = (n / 2).saturating_sub(1);
    for k in (start..n - 1).chain(0..start) {
        if letters[k] != letters[k + 1] {
            letters.swap(k, k + 1);
            break;
        }
    }
    letters.into_iter().collect()
}

/// `q`, percent-encoded for a query string (everything but ASCII letters and digits).
pub fn escape(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_swaps_two_different_neighbouring_letters_in_the_middle() {
        assert_eq!(typo("багумиски"), "багмуиски");
        assert_eq!(typo("kalomirud"), "kalmoirud");
        // Equal neighbours are passed over, and a word of one repeated letter stays as it is.
        assert_eq!(typo("abbbc"), "abbcb");
        assert_eq!(typo("aaaa"), "aaaa");
        assert_eq!(typo("ab"), "ba");
        assert_eq!(typo("я"), "я");
    }

    #[test]
    fn a_query_is_escaped_byte_by_byte() {
        assert_eq!(escape("урок"), "%D1%83%D1%80%D0%BE%D0%BA");
        assert_eq!(escape("a b&c"), "a%20b%26c");
    }

    #[test]
    fn the_vocabulary_head_has_distinct_words_and_the_syllables_make_words_of_their_own() {
        let mut sorted = head();
        sorted.sort();
        sorted.dedup();
        assert_eq!((sorted.len(), head().len()), (308, 308));
        for syllables in [SYLLABLES_RU, SYLLABLES_EN] {
            let mut s = syllables.to_vec();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), 32);
        }
        // The scramble is a bijection of 20 bits, so different ranks give different syllables.
        let mut seen = std::collections::HashSet::new();
        for r in 1..=VOCABULARY {
            assert!(seen.insert((r * 40503) % 1_048_576), "rank {r}");
        }
        assert!(content_sql().contains("generate_series(1, 3 + (c.id * 31 + g * 17) % 12)"));
    }
}
