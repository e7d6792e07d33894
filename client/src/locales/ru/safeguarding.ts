// Русские строки: тихие часы (задержанные сообщения) и флаги (очередь модератора, список слов
// школы). Часть ru.ts.

const safeguarding = {
  held: {
    listLabel: 'Задержаны до конца тихих часов',
    deliverAt: 'Будет доставлено в {{time}}',
    attachmentsOnly_one: '({{count}} файл)',
    attachmentsOnly_few: '({{count}} файла)',
    attachmentsOnly_many: '({{count}} файлов)',
    attachmentsOnly_other: '({{count}} файла)',
    tab: 'Задержанные',
    panelHint: 'Сообщения учителей, написанные в тихие часы. Никто, кроме них, не видит их до доставки.',
    loading: 'Загружаем задержанные сообщения…',
    none: 'Задержанных сообщений нет.',
    deliverNow: 'Доставить сейчас',
    delivering: 'Доставляем…',
    someone: 'Пользователь {{id}}',
  },
  flags: {
    heading: 'Флаги',
    reportsHeading: 'Жалобы',
    loading: 'Загружаем флаги…',
    none: 'Открытых флагов нет.',
    flaggedBySystem: 'Отмечено автоматически',
    cause: 'Причина: {{cause}}',
    clear: 'Снять',
    resolvedCleared: 'Решено: флаг снят',
    termsTitle: 'Слова для флагов',
    termsHint: 'Новое сообщение с одним из них (в любой форме) получает флаг.',
    termsLoading: 'Загружаем слова…',
    noTerms: 'Слов пока нет.',
    newTerm: 'Новое слово или фраза',
    termPlaceholder: 'например, «встретиться лично» или телефон',
    add: 'Добавить',
    remove: 'Удалить',
    removeTerm: 'Удалить «{{term}}»',
    termExists: 'Это слово уже в списке.',
    termNoWord: 'В нём нет слова, которое нашёл бы поиск (только слова вроде «и», «в»).',
  },
};

export default safeguarding;
