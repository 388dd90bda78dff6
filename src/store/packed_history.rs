//! An execution's history in the in-memory store: as the engine made it while the
//! execution runs, packed once it has ended.
//!
//! A saga's history is about 30 KB of JSON, most of it the same trip document repeated
//! in every state's input, output and parameters. Kept as engine events, 10,000 runs
//! hold some 300 MB, and a busy runtime spends a third of its time having the kernel
//! hand it fresh pages. An ended history never changes, so the store writer packs it
//! into one LZ4 block, which the repetition shrinks several times over. The block
//! holds each event as the durable store's rows do (see [`super::events`]): its JSON
//! with the payload left out, and the payload's text unescaped; the timestamp, too,
//! is left out of the JSON and kept as a number. Reading it back puts each payload
//! and time in place and gives the same texts as the events themselves.

use super::StoreError;
use super::event_text::with_timestamp;
use super::events::{NewEvent, reassemble};
use super::memory::LOCATION;
use super::open_events::OpenEvents;
use chrono::{DateTime, Utc};
use std::ops::Range;
use std::sync::Arc;

/// One execution's events, by id.
pub(super) enum History {
    /// Still growing: the events as they were written.
    Open(OpenEvents),
    /// Ended: packed.
    Packed(Packed),
}

/// A history's events in their stored form (each event's JSON with its payload left
/// out, then the payload text itself, unescaped), one after another, compressed.
///
/// Packing the whole event JSON instead would escape every quote of every payload:
/// for a saga, most of the packing's work.
pub(super) struct Packed {
    /// The events' ids, in order.
    ids: Ids,
    /// The LZ4 block, its unpacked size first, shared by the histories packed
    /// together (see [`Packed::together`]).
    block: Arc<[u8]>,
    /// Where this history lies in the unpacked block: a [`Span`] per event (as
    /// [`SPAN_BYTES`] little-endian bytes), then the texts they point into. Inside
    /// the block, the spans cost a few bytes each instead of a whole table kept
    /// beside it.
    at: Range<usize>,
}

/// A packed history's event ids: nearly always 1, 2, 3…, kept as a range.
enum Ids {
    /// `first`, `first + 1`, … `count` of them.
    Run { first: i64, count: u32 },
    /// Any other ids, ascending.
    Listed(Box<[i64]>),
}

impl Ids {
    /// The ids of a history's events, ascending; a list is made only for ids that are
    /// not a run.
    fn of(ids: impl ExactSizeIterator<Item = i64> + Clone) -> Self {
        let mut next = ids.clone().next();
        let consecutive = ids.clone().all(|id| {
            let expected = next == Some(id);
            next = id.checked_add(1);
            expected
        });
        match (ids.clone().next(), u32::try_from(ids.len())) {
            (Some(first), Ok(count)) if consecutive => Ids::Run { first, count },
            (None, _) => Ids::Run { first: 1, count: 0 },
            _ => Ids::Listed(ids.collect()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Ids::Run { count, .. } => *count as usize,
            Ids::Listed(ids) => ids.len(),
        }
    }

    fn last(&self) -> Option<i64> {
        match self {
            Ids::Run { count: 0, .. } => None,
            Ids::Run { first, count } => Some(first + i64::from(*count) - 1),
            Ids::Listed(ids) => ids.last().copied(),
        }
    }

    fn contains(&self, id: i64) -> bool {
        match self {
            Ids::Run { first, count } => id >= *first && id - first < i64::from(*count),
            Ids::Listed(ids) => ids.binary_search(&id).is_ok(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let (run, listed) = match self {
            Ids::Run { first, count } => (Some(*first..*first + i64::from(*count)), None),
            Ids::Listed(ids) => (None, Some(ids.iter().copied())),
        };
        run.into_iter()
            .flatten()
            .chain(listed.into_iter().flatten())
    }
}

/// One event in a packed block: its JSON, then its payload, back to back.
#[derive(Clone, Copy)]
struct Span {
    /// Where the event's JSON ends (and its payload starts).
    json_end: u32,
    /// Where the payload ends (the same as `json_end` for none).
    payload_end: u32,
    /// Where the payload's `""` is in the event's JSON; `u32::MAX` for no payload.
    /// With [`REPEAT`] set, the payload is not written again: it is the one the last
    /// event with a payload had. A state's input is the output the state before it
    /// exited with, the event before, so a third of a saga's payload text repeats.
    payload_at: u32,
    /// The event's timestamp, when its JSON was written without it: whole seconds
    /// and nanoseconds (`NO_TIME` for none). Kept as numbers, a history's times are a
    /// fraction of what LZ4 would otherwise have to work through as digits.
    seconds: i64,
    nanos: u32,
}

/// The [`Span::nanos`] of an event whose JSON holds its own timestamp.
const NO_TIME: u32 = u32::MAX;

/// The [`Span::payload_at`] flag of a payload that repeats the one before it.
const REPEAT: u32 = 1 << 31;

/// The bytes of one [`Span`] in a block.
const SPAN_BYTES: usize = 24;

impl Span {
    /// Writes the span into its [`SPAN_BYTES`] slot.
    fn write(&self, slot: &mut [u8]) {
        let fields = [self.json_end, self.payload_end, self.payload_at, self.nanos];
        let (words, seconds) = slot.split_at_mut(16);
        for (bytes, n) in words.chunks_exact_mut(4).zip(fields) {
            bytes.copy_from_slice(&n.to_le_bytes());
        }
        seconds.copy_from_slice(&self.seconds.to_le_bytes());
    }

    fn read(bytes: &[u8]) -> Option<Self> {
        let n = |i: usize| {
            let b = bytes.get(i * 4..i * 4 + 4)?;
            Some(u32::from_le_bytes(b.try_into().ok()?))
        };
        Some(Span {
            json_end: n(0)?,
            payload_end: n(1)?,
            payload_at: n(2)?,
            nanos: n(3)?,
            seconds: i64::from_le_bytes(bytes.get(16..24)?.try_into().ok()?),
        })
    }

    /// The timestamp taken out of the event's JSON, if one was.
    fn time(&self) -> Option<Option<DateTime<Utc>>> {
        (self.nanos != NO_TIME).then(|| DateTime::from_timestamp(self.seconds, self.nanos))
    }
}

impl Default for History {
    fn default() -> Self {
        History::Open(OpenEvents::default())
    }
}

impl History {
    /// The events to add to, unpacking an ended history if it is ever added to.
    pub(super) fn open(&mut self, arn: &str) -> Result<&mut OpenEvents, StoreError> {
        match self {
            History::Open(events) => Ok(events),
            History::Packed(packed) => {
                let events = packed
                    .texts(arn)?
                    .into_iter()
                    .map(|(id, text)| NewEvent::from_json(id, text))
                    .collect();
                *self = History::Open(events);
                self.open(arn)
            }
        }
    }

    /// Packs the history: called once its execution has ended. A history that cannot
    /// be encoded stays as it is (and reads back as it always did).
    pub(super) fn pack(&mut self) -> Result<(), StoreError> {
        let History::Open(events) = self else {
            return Ok(());
        };
        let Some(packed) = Packed::together(&[events]).pop() else {
            return Ok(());
        };
        *self = History::Packed(packed?);
        Ok(())
    }

    /// The events as they are while the history is open: a copy to pack away from the
    /// store's lock (the events themselves are shared, not copied).
    pub(super) fn snapshot(&self) -> Option<OpenEvents> {
        match self {
            History::Open(events) => Some(events.clone()),
            History::Packed(_) => None,
        }
    }

    /// Puts a packing of [`History::snapshot`] in place, if the history is still
    /// exactly what was packed; returns the events it replaced (to be let go of
    /// outside the store's lock).
    pub(super) fn install(&mut self, packed: Packed) -> Option<OpenEvents> {
        let History::Open(events) = self else {
            return None;
        };
        let same = events.len() == packed.ids.len() && events.ids().eq(packed.ids.iter());
        if !same {
            return None;
        }
        match std::mem::replace(self, History::Packed(packed)) {
            History::Open(events) => Some(events),
            History::Packed(_) => None,
        }
    }

    /// The events with an id above `after_id`, as `(id, JSON text)`.
    pub(super) fn since(&self, arn: &str, after_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        match self {
            History::Open(events) => events
                .after(after_id)
                .iter()
                .map(|e| Ok((e.id(), e.to_json()?)))
                .collect(),
            History::Packed(packed) => {
                if packed.ids.last().is_none_or(|last| last <= after_id) {
                    return Ok(Vec::new());
                }
                let mut texts = packed.texts(arn)?;
                texts.retain(|(id, _)| *id > after_id);
                Ok(texts)
            }
        }
    }

    /// How many events there are.
    pub(super) fn len(&self) -> usize {
        match self {
            History::Open(events) => events.len(),
            History::Packed(packed) => packed.ids.len(),
        }
    }

    /// The highest event id.
    pub(super) fn last_id(&self) -> Option<i64> {
        match self {
            History::Open(events) => events.last_id(),
            History::Packed(packed) => packed.ids.last(),
        }
    }

    /// Whether an event with this id is there.
    pub(super) fn contains(&self, id: i64) -> bool {
        match self {
            History::Open(events) => events.contains(id),
            History::Packed(packed) => packed.ids.contains(id),
        }
    }
}

impl Packed {
    /// Packs histories (their events already checked when they were added) into one
    /// block, a packing (or why there is none) per history, in order.
    ///
    /// Histories of the same state machine repeat each other's event texts and much
    /// of their documents, so LZ4 finds long matches across them: packed four at a
    /// time, a saga's history takes half the room, and half the compressing time, it
    /// takes alone. Reading one unpacks the whole block, which is cheap beside how
    /// rarely an ended history is read.
    pub(super) fn together(histories: &[&OpenEvents]) -> Vec<Result<Self, StoreError>> {
        Self::together_with(histories, write_raw)
    }

    /// [`Packed::together`], each history written into the block by `write` (which,
    /// failing, may have written part of it).
    fn together_with(
        histories: &[&OpenEvents],
        write: impl Fn(&OpenEvents, &mut Vec<u8>) -> Result<(), StoreError>,
    ) -> Vec<Result<Self, StoreError>> {
        let guess: usize = histories.iter().map(|h| h.len() * 1024).sum();
        let mut raw = Vec::with_capacity(guess);
        let places: Vec<_> = histories
            .iter()
            .map(|events| {
                let start = raw.len();
                write(events, &mut raw)
                    .map(|()| start..raw.len())
                    .inspect_err(|_| raw.truncate(start))
            })
            .collect();
        let block: Arc<[u8]> = lz4_flex::block::compress_prepend_size(&raw).into();
        places
            .into_iter()
            .zip(histories)
            .map(|(at, events)| {
                Ok(Packed {
                    ids: Ids::of(events.ids()),
                    block: block.clone(),
                    at: at?,
                })
            })
            .collect()
    }
}

/// Writes a history's span table and texts at the end of `block`.
fn write_raw(events: &OpenEvents, block: &mut Vec<u8>) -> Result<(), StoreError> {
    // The span table first (filled in as the texts after it are written), so the
    // texts are not copied again behind it.
    let base = block.len();
    let table = events.len() * SPAN_BYTES;
    block.resize(base + table, 0);
    // Offsets count from the texts' start and stay below the REPEAT flag.
    let below_flag = |n: usize| u32::try_from(n).ok().filter(|n| *n < REPEAT);
    let at = |block: &Vec<u8>| {
        let n = block.len() - base - table;
        below_flag(n).ok_or_else(|| StoreError::TooLongToPack { bytes: n })
    };

    let mut last_payload: Option<&str> = None;
    for (i, event) in events.iter().enumerate() {
        let (row, time) = event.untimed_parts()?;
        block.extend_from_slice(row.event.as_bytes());
        let json_end = at(block)?;
        let payload_at = match (row.payload, row.payload_at) {
            (Some(payload), Some(offset)) => {
                let offset = usize::try_from(offset)
                    .ok()
                    .and_then(below_flag)
                    .ok_or_else(|| StoreError::TooLongToPack {
                        bytes: row.event.len(),
                    })?;
                if last_payload == Some(payload) {
                    offset | REPEAT
                } else {
                    block.extend_from_slice(payload.as_bytes());
                    last_payload = Some(payload);
                    offset
                }
            }
            _ => u32::MAX,
        };
        let span = Span {
            json_end,
            payload_end: at(block)?,
            payload_at,
            seconds: time.map_or(0, |t| t.timestamp()),
            nanos: time.map_or(NO_TIME, |t| t.timestamp_subsec_nanos()),
        };
        span.write(&mut block[base + i * SPAN_BYTES..base + (i + 1) * SPAN_BYTES]);
    }
    Ok(())
}

impl Packed {
    /// Where the block is: histories packed together share it.
    #[cfg(test)]
    pub(super) fn block_ptr(&self) -> *const u8 {
        self.block.as_ptr()
    }

    /// Every event's `(id, JSON text)`, its payload put back in place.
    fn texts(&self, arn: &str) -> Result<Vec<(i64, String)>, StoreError> {
        let bad = |detail: String| StoreError::BadRow {
            location: LOCATION.to_string(),
            what: format!("the packed history of {arn}"),
            detail,
        };
        let block = lz4_flex::block::decompress_size_prepended(&self.block)
            .map_err(|e| bad(e.to_string()))?;
        let raw = block
            .get(self.at.clone())
            .ok_or_else(|| bad("the block is shorter than its histories".into()))?;
        let table = self.ids.len() * SPAN_BYTES;
        let (spans, text) = raw
            .split_at_checked(table)
            .ok_or_else(|| bad("the block is shorter than its spans".into()))?;
        let text = std::str::from_utf8(text).map_err(|e| bad(e.to_string()))?;
        let mut start = 0;
        let mut last_payload = "";
        self.ids
            .iter()
            .zip(spans.chunks_exact(SPAN_BYTES))
            .map(|(id, span)| {
                let span =
                    Span::read(span).ok_or_else(|| bad(format!("event {id} has no span")))?;
                let piece = |from: usize, to: u32| {
                    text.get(from..to as usize)
                        .ok_or_else(|| bad(format!("event {id} is cut short")))
                };
                let json = piece(start, span.json_end)?;
                let mut payload = piece(span.json_end as usize, span.payload_end)?;
                start = span.payload_end as usize;
                let untimed = if span.payload_at == u32::MAX {
                    json.to_string()
                } else {
                    if span.payload_at & REPEAT == 0 {
                        last_payload = payload;
                    } else {
                        payload = last_payload;
                    }
                    reassemble(
                        json.to_string(),
                        Some(payload),
                        Some(i64::from(span.payload_at & !REPEAT)),
                    )
                    .map_err(|e| bad(format!("event {id}: {e}")))?
                };
                let whole = match span.time() {
                    None => untimed,
                    Some(time) => time
                        .and_then(|t| with_timestamp(&untimed, &t))
                        .ok_or_else(|| bad(format!("event {id} cannot take its timestamp back")))?,
                };
                Ok((id, whole))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(n: i64) -> History {
        let mut h = History::default();
        let events = h.open("arn").unwrap();
        for id in 1..=n {
            let text = format!(
                r#"{{"id":{id},"type":"PassStateEntered","doc":"{}"}}"#,
                "trip ".repeat(50)
            );
            events.insert(NewEvent::from_json(id, text));
        }
        h
    }

    #[test]
    fn a_packed_history_reads_back_the_same_texts_in_less_room() {
        let mut h = history(30);
        let before = h.since("arn", 0).unwrap();
        let size: usize = before.iter().map(|(_, t)| t.len()).sum();
        h.pack().unwrap();
        let History::Packed(packed) = &h else {
            panic!("not packed")
        };
        assert!(
            packed.block.len() * 5 < size,
            "{} of {size}",
            packed.block.len()
        );
        assert_eq!(h.since("arn", 0).unwrap(), before);
        assert_eq!(h.since("arn", 28).unwrap(), before[28..].to_vec());
        assert_eq!(h.since("arn", 30).unwrap(), vec![]);
        assert_eq!((h.len(), h.last_id()), (30, Some(30)));
        assert!(h.contains(7) && !h.contains(31));
    }

    #[test]
    fn engine_events_read_back_as_their_whole_json() {
        let mut h = History::default();
        let events = h.open("arn").unwrap();
        let mut expected = Vec::new();
        for (i, mut e) in crate::store::events::tests::awkward_events()
            .into_iter()
            .enumerate()
        {
            e.id = i as u64 + 1;
            expected.push((e.id as i64, serde_json::to_string(&e).unwrap()));
            let e = NewEvent::from_event(std::sync::Arc::new(e)).unwrap();
            events.insert(e);
        }
        h.pack().unwrap();
        assert!(matches!(h, History::Packed(_)));
        assert_eq!(h.since("arn", 0).unwrap(), expected);
        assert_eq!(h.since("arn", 3).unwrap(), expected[3..].to_vec());
    }

    #[test]
    fn timestamps_kept_as_numbers_read_back_as_written() {
        use crate::history::event::*;
        use chrono::{NaiveDate, TimeZone};
        let day = |y: i32| NaiveDate::from_ymd_opt(y, 12, 31).unwrap();
        let times = [
            Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            Utc.timestamp_opt(1_700_000_000, 123_000_000).unwrap(),
            Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap(),
            Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap(),
            Utc.timestamp_opt(-86_399, 5).unwrap(),
            Utc.from_utc_datetime(&day(9999).and_hms_nano_opt(23, 59, 59, 999_999_999).unwrap()),
            // Written by chrono, not here: kept in the text.
            Utc.from_utc_datetime(&day(10000).and_hms_opt(0, 0, 0).unwrap()),
            Utc.from_utc_datetime(
                &day(2016)
                    .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                    .unwrap(),
            ),
        ];
        let (h, expected) = packed((1..).zip(times).map(|(id, timestamp)| HistoryEvent {
            timestamp,
            event_type: EventType::PassStateExited,
            id,
            previous_event_id: id - 1,
            details: Some(EventDetails::StateExited(StateExitedDetails {
                name: "S".into(),
                output: format!(r#"{{"n":{id}}}"#),
                output_details: PayloadDetails { truncated: false },
            })),
        }));
        assert_eq!(h.since("arn", 0).unwrap(), expected);
        // Only the two times chrono writes are in the block as text.
        let History::Packed(packed) = &h else {
            panic!("not packed")
        };
        let raw = lz4_flex::block::decompress_size_prepended(&packed.block).unwrap();
        let in_text = raw.windows(11).filter(|w| w == b"\"timestamp\"").count();
        assert_eq!(in_text, 2);
    }

    /// The unpacked size of a packed history.
    fn unpacked_len(h: &History) -> usize {
        let History::Packed(packed) = h else {
            panic!("not packed")
        };
        packed.at.len()
    }

    #[test]
    fn histories_packed_together_read_back_each_its_own_in_less_room() {
        let histories: Vec<OpenEvents> = (0..4)
            .map(|n| {
                (1..=6)
                    .map(|id| {
                        // Each event's document differs from the others' in the
                        // history, and is the same in every history.
                        let doc: String = (0..40)
                            .map(|k| char::from(b'a' + ((id * 7919 + k * 104_729) % 26) as u8))
                            .collect();
                        let text = format!(
                            r#"{{"id":{id},"type":"PassStateEntered","run":{n},"doc":"{doc}"}}"#
                        );
                        NewEvent::from_json(id, text)
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<_> = histories.iter().collect();
        let together: Vec<Packed> = Packed::together(&refs)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            together
                .iter()
                .all(|p| Arc::ptr_eq(&p.block, &together[0].block))
        );
        for (packed, events) in together.iter().zip(&histories) {
            let want: Vec<(i64, String)> = events
                .iter()
                .map(|e| (e.id(), e.to_json().unwrap()))
                .collect();
            assert_eq!(packed.texts("arn").unwrap(), want);
        }
        // Alone, each block would repeat what the others hold.
        let alone: usize = refs
            .iter()
            .map(|h| Packed::together(&[h]).pop().unwrap().unwrap().block.len())
            .sum();
        assert!(
            together[0].block.len() * 2 < alone,
            "{} together, {alone} alone",
            together[0].block.len()
        );
    }

    #[test]
    fn a_history_that_cannot_be_packed_leaves_the_others_packed_together() {
        let history = |n: i64| -> OpenEvents {
            [NewEvent::from_json(n, format!(r#"{{"id":{n}}}"#))]
                .into_iter()
                .collect()
        };
        let (a, refused, c) = (history(1), history(99), history(3));
        // The refused one is cut off after writing part of itself.
        let results = Packed::together_with(&[&a, &refused, &c], |events, raw| {
            if events.contains(99) {
                raw.extend_from_slice(b"part of a history");
                return Err(StoreError::TooLongToPack { bytes: 1 << 31 });
            }
            write_raw(events, raw)
        });
        assert!(matches!(results[1], Err(StoreError::TooLongToPack { .. })));
        for (result, events) in [(&results[0], &a), (&results[2], &c)] {
            let want: Vec<(i64, String)> = events
                .iter()
                .map(|e| (e.id(), e.to_json().unwrap()))
                .collect();
            assert_eq!(result.as_ref().unwrap().texts("arn").unwrap(), want);
        }
    }

    fn single(events: &OpenEvents) -> Packed {
        Packed::together(&[events]).pop().unwrap().unwrap()
    }

    /// A history of engine events, packed, and the texts it should read back.
    fn packed(
        events: impl IntoIterator<Item = crate::history::event::HistoryEvent>,
    ) -> (History, Vec<(i64, String)>) {
        let mut h = History::default();
        let open = h.open("arn").unwrap();
        let mut expected = Vec::new();
        for e in events {
            expected.push((e.id as i64, serde_json::to_string(&e).unwrap()));
            let e = NewEvent::from_event(std::sync::Arc::new(e)).unwrap();
            open.insert(e);
        }
        h.pack().unwrap();
        (h, expected)
    }

    fn packed_states(inputs: &[Option<&str>]) -> (History, Vec<(i64, String)>) {
        use crate::history::event::*;
        packed((1..).zip(inputs).map(|(id, input)| HistoryEvent {
            timestamp: chrono::DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
            event_type: EventType::PassStateEntered,
            id,
            previous_event_id: id - 1,
            details: input.map(|input| {
                EventDetails::StateEntered(StateEnteredDetails {
                    name: format!("S{id}"),
                    input: input.into(),
                    input_details: PayloadDetails { truncated: false },
                })
            }),
        }))
    }

    #[test]
    fn a_payload_repeating_the_one_before_is_written_once() {
        let a = r#"{"trip":"a \"quoted\" trip","n":[1,2,3]}"#;
        let b = r#"{"trip":"b"}"#;
        // Repeats straight after, across an event without a payload, and after a
        // different payload (which is not a repeat of the one before it).
        let inputs = [Some(a), Some(a), None, Some(a), Some(b), Some(a), Some(a)];
        let (h, expected) = packed_states(&inputs);
        assert_eq!(h.since("arn", 0).unwrap(), expected);
        assert_eq!(h.since("arn", 4).unwrap(), expected[4..].to_vec());

        // Only a, b, a are written: every other copy is a repeat.
        let distinct = [
            Some("x"),
            Some("y"),
            None,
            Some("z"),
            Some(b),
            Some("w"),
            Some("v"),
        ];
        let (other, _) = packed_states(&distinct);
        let written = |payloads: &[&str]| payloads.iter().map(|p| p.len()).sum::<usize>();
        assert_eq!(
            unpacked_len(&h) - written(&[a, b, a]),
            unpacked_len(&other) - written(&["x", "y", "z", b, "w", "v"])
        );
    }

    #[test]
    fn ids_with_gaps_pack_and_read_back() {
        let mut h = History::default();
        let events = h.open("arn").unwrap();
        for id in [2, 5, 9] {
            events.insert(NewEvent::from_json(id, format!(r#"{{"id":{id}}}"#)));
        }
        let before = h.since("arn", 0).unwrap();
        h.pack().unwrap();
        assert!(matches!(h, History::Packed(_)));
        assert_eq!(h.since("arn", 0).unwrap(), before);
        assert_eq!(h.since("arn", 4).unwrap(), before[1..].to_vec());
        assert_eq!((h.len(), h.last_id()), (3, Some(9)));
        assert!(h.contains(5) && !h.contains(4) && !h.contains(10) && !h.contains(1));
    }

    #[test]
    fn adding_to_a_packed_history_unpacks_it() {
        let mut h = history(3);
        h.pack().unwrap();
        h.open("arn")
            .unwrap()
            .insert(NewEvent::from_json(4, r#"{"id":4}"#));
        assert!(matches!(h, History::Open(_)));
        let ids: Vec<i64> = h
            .since("arn", 0)
            .unwrap()
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(ids, vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_packing_is_put_in_place_only_over_the_history_it_was_made_from() {
        let mut h = history(3);
        let snapshot = h.snapshot().unwrap();
        let packed = single(&snapshot);
        // The history changed after the snapshot: the packing would lose an event.
        h.open("arn")
            .unwrap()
            .insert(NewEvent::from_json(4, r#"{"id":4}"#));
        assert!(h.install(packed).is_none());
        assert!(matches!(h, History::Open(_)));
        assert_eq!(h.len(), 4);

        let before = h.since("arn", 0).unwrap();
        let packed = single(&h.snapshot().unwrap());
        let replaced = h.install(packed).expect("unchanged history");
        assert_eq!(replaced.len(), 4);
        assert!(matches!(h, History::Packed(_)));
        assert!(h.snapshot().is_none());
        assert_eq!(h.since("arn", 0).unwrap(), before);
    }

    #[test]
    fn an_empty_history_packs() {
        let mut h = History::default();
        h.pack().unwrap();
        assert_eq!(h.since("arn", 0).unwrap(), vec![]);
        assert_eq!((h.len(), h.last_id()), (0, None));
    }
}
