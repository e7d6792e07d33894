//! Lessons from the school's systems: the lesson's subject on chats, the integration API and
//! `tutorchat import`.

mod subjects;
