// Russian strings: the keys of en.ts, with Russian plural forms. Numbers agree with the noun:
// _one 1, 21, 101 (сообщение); _few 2–4, 22–24 (сообщения); _many 0, 5–20, 25–30 (сообщений);
// _other fractions. The larger areas are files of their own in ru/, as in en/.

import chats from './ru/chats';
import conversation from './ru/conversation';
import errors from './ru/errors';
import moderation from './ru/moderation';
import safeguarding from './ru/safeguarding';
import scheduled from './ru/scheduled';

const ru = {
  app: {
    loading: 'Загрузка…',
    tryAgain: 'Повторить',
    sessionEnded: 'Сеанс завершён. Войдите снова.',
  },
  errors,
  language: {
    label: 'Язык',
    en: 'English',
    ru: 'Русский',
  },
  roles: {
    student: 'Ученик',
    teacher: 'Преподаватель',
    admin: 'Администратор',
    guest: 'Гость',
    guardian: 'Родитель',
  },
  signIn: {
    title: 'Вход',
    demo: 'Это демоверсия: выберите, кем войти.',
    loadingUsers: 'Загрузка пользователей…',
    school: 'Войти через учётную запись школы',
    notConfigured: 'Вход на этом сервере не настроен. Обратитесь к администратору школы.',
  },
  connection: {
    live: 'в сети',
    reconnecting: 'переподключение',
    liveHint: 'Сообщения приходят в реальном времени',
    reconnectingHint: 'Связь потеряна, переподключаемся…',
    ended: 'закрыто',
    endedHint: 'Этот разговор закрыт: сюда больше ничего не придёт.',
  },
  /** An admin's view, from a chat they read, of who read it without taking part in it. */
  chatReaders: {
    button: 'Кто читал',
    title: 'Кто читал «{{title}}»',
    intro: 'Каждый раз, когда чат читал тот, кто в нём не участвует (администрация, родители), — сначала новые. Участники видят то же в разделе «Кто читал мои чаты».',
    empty: 'Никто, кроме участников, этот чат не читал.',
    more: 'Показать раньше',
  },
  readers: {
    button: 'Кто читал мои чаты',
    title: 'Кто читал мои чаты',
    intro: 'Взрослые, которые не участвуют в ваших чатах (например, администрация школы или родители), и что они читали. Школа хранит эти записи столько же, сколько сообщения.',
    empty: 'Никто, кроме участников, ваши чаты не читал.',
    loading: 'Загрузка…',
    via: {
      history: 'открыл(а) переписку',
      export: 'выгрузил(а) переписку',
      search: 'нашёл(ла) в поиске',
      stream: 'читал(а) в реальном времени',
      attachment: 'скачал(а) файл из переписки',
      chat_list: 'видел(а) последнее сообщение в списке чатов',
      other: 'читал(а)',
    },
    reads_one: '{{count}} раз',
    reads_few: '{{count}} раза',
    reads_many: '{{count}} раз',
    reads_other: '{{count}} раза',
    last: 'последний раз {{when}}',
    close: 'Закрыть',
  },
  /** Родитель, читающий чаты своих детей, пометка в их чатах и связи, которые ведёт администратор. */
  guardians: {
    chatsTitle: 'Чаты ваших детей',
    noChats: 'Читать пока нечего. Когда школа свяжет вас с ребёнком, здесь появятся его чаты с учителями.',
    wardChat: 'Чат ученика: {{name}}',
    readOnly: 'Вы читаете чат как родитель: писать здесь нельзя',
    notice: 'Родители ученика могут читать этот чат',
    groupNotice: 'Родители могут читать сообщения своего ребёнка в этой группе',
    wardOnly: 'только сообщения: {{name}}',
    wardOnlyChat: 'Вы читаете в этой группе только сообщения ребёнка: {{name}}',
    tab: 'Родители',
    intro: 'Родитель читает личные чаты связанных с ним учеников — с момента, когда их связали, — и ничего не пишет.',
    loading: 'Загрузка…',
    noLinks: 'Ни один родитель не связан с учеником.',
    guardian: 'Родитель',
    student: 'Ученик',
    choose: 'Выберите…',
    link: 'Связать',
    linking: 'Связываем…',
    unlink: 'Отвязать',
    unlinkLabel: 'Отвязать {{guardian}} от ученика {{student}}',
    linked: '{{guardian}} читает чаты ученика {{student}}',
  },
  /** Собственный чат родителя с учителем его ребёнка (семейный чат). */
  email: {
    button: 'Уведомления на почту',
    title: 'Уведомления на почту',
    intro: 'Если вы давно не открывали чат, мы можем прислать на почту то, что вы не прочитали. В каждом письме есть ссылка, чтобы отписаться.',
    unavailable: 'Ваша школа не отправляет писем.',
    to: 'Письма приходят на {{address}}',
    noAddress: 'У нас нет вашего адреса почты.',
    default: 'Как решит школа ({{choice}})',
    close: 'Закрыть',
    choices: {
      instant: 'Письмо о каждом новом сообщении',
      digest: 'Одно письмо в день',
      none: 'Без писем',
    },
  },
  families: {
    section: 'Ваши чаты с учителями',
    school: 'От школы',
    about: 'о ребёнке: {{names}}',
    ended: 'Чат только для чтения: он больше не касается ваших детей (школа завершила связь).',
  },
  devices: {
    button: 'Ваши устройства',
    title: 'Ваши устройства',
    intro:
      'Где выполнен вход. Устройство остаётся в системе, пока им пользуются, но не дольше срока, который задаёт школа. Выйдите на тех, которые вам незнакомы.',
    loading: 'Загрузка…',
    thisDevice: 'Это устройство',
    unknownDevice: 'Неизвестное устройство',
    lastUsed: 'последний вход {{when}}',
    from: 'адрес {{address}}',
    signOut: 'Выйти',
    signOutLabel: 'Выйти: {{device}}, последний вход {{when}}',
    everywhere: 'Выйти на всех устройствах',
    close: 'Закрыть',
  },
  workspace: {
    signOut: 'Выйти',
    conversation: 'Переписка',
    chooseToRead: 'Выберите чат, чтобы его прочитать.',
    chooseToTalk: 'Выберите чат, чтобы начать общение.',
    heading: 'Tutorchat: чаты — {{name}}',
  },
  ...chats,
  ...conversation,
  ...moderation,
  ...safeguarding,
  ...scheduled,
  time: {
    now: 'сейчас',
    minutes: '{{count}} мин',
    hours: '{{count}} ч',
    today: 'Сегодня',
    yesterday: 'Вчера',
  },
  pwa: {
    updateReady: 'Доступна новая версия',
    reload: 'Обновить',
  },
  push: {
    enable: 'Включить уведомления',
    enableHint: 'Получать уведомления о новых сообщениях, когда сайт закрыт',
    disable: 'Выключить уведомления',
    onHint: 'Уведомления о новых сообщениях в этом браузере включены',
    enabling: 'Включаем уведомления…',
    disabling: 'Выключаем уведомления…',
    blocked: 'Уведомления заблокированы',
    blockedHelp:
      'Браузер блокирует уведомления этого сайта. Чтобы разрешить их, откройте настройки сайта (значок слева от адреса), разрешите уведомления и перезагрузите страницу.',
    failed: 'Не удалось изменить уведомления. {{error}}',
    timeout: 'Служба уведомлений браузера не ответила. Попробуйте позже.',
    close: 'Закрыть',
    newMessage: 'Новое сообщение',
    newMessages_one: '{{count}} новое сообщение',
    newMessages_few: '{{count}} новых сообщения',
    newMessages_many: '{{count}} новых сообщений',
    newMessages_other: '{{count}} нового сообщения',
  },
};

export default ru;
