// The same work as examples/throughput.rs, on aws-local-stepfunctions: the saga's
// success path with the saga's handler logic over a Map as the table, or a Pass chain.
//
// Usage:
//   node peer.js saga COUNT IN_FLIGHT
//   node peer.js chain COUNT STATES
//
// Only the runs are timed, inside the process (not start-up, not loading and
// validating the definition). The last line printed is
// `executions=N seconds=S per_second=R cpu_seconds=C`, as the embedded side prints
// it: C is the CPU time (user and system, every thread) the runs took.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

const USAGE = 'usage: node peer.js saga COUNT IN_FLIGHT | node peer.js chain COUNT STATES';
const ASL = fileURLToPath(new URL('../../infra/statemachine/saga.asl.json', import.meta.url));

function count(text, what) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${what} ${JSON.stringify(text)} is not a count of at least 1; ${USAGE}`);
  }
  return n;
}

// Wall-clock milliseconds and CPU seconds since `started` (a `start()`).
const start = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
function finish(started) {
  const cpu = process.cpuUsage(started.cpu);
  return { ms: performance.now() - started.wall, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

// --- the saga's handlers (lambdas/src/handlers.rs), over a Map -------------------------

const PENDING = 'pending';
const CONFIRMED = 'confirmed';

// lambdas/src/ids.rs: lowercase hex of SHA-256 over the fields joined by 0x1F, 16 digits.
function stableId(...fields) {
  return createHash('sha256').update(fields.join('\u001f')).digest('hex').slice(0, 16);
}

class SagaError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

// The trip as every step reads it from its event (lambdas/src/trip.rs).
function readTrip(event) {
  const trip = {};
  for (const key of ['trip_id', 'depart', 'depart_at', 'arrive', 'arrive_at', 'hotel', 'check_in', 'check_out']) {
    if (typeof event?.[key] !== 'string') throw new SagaError('InvalidInput', `missing field ${key}`);
    trip[key] = event[key];
  }
  if (trip.trip_id === '') throw new SagaError('InvalidInput', 'trip_id must not be empty');
  trip.run_type = event.run_type ?? 'success';
  trip.cancel_failure_rate = event.cancel_failure_rate ?? 0.4;
  if (!(trip.cancel_failure_rate >= 0 && trip.cancel_failure_rate <= 1)) {
    throw new SagaError('InvalidInput', 'cancel_failure_rate must be a number from 0 to 1');
  }
  return trip;
}

const TRIGGERS = {
  failHotelReservation: ['ReserveHotel', 'HotelReservationFailed'],
  failFlightsReservation: ['ReserveFlight', 'FlightReservationFailed'],
  failPayment: ['TakePayment', 'PaymentFailed'],
  failHotelConfirmation: ['ConfirmHotel', 'HotelConfirmationFailed'],
  failFlightsConfirmation: ['ConfirmFlight', 'FlightConfirmationFailed'],
};

function failIfTriggered(step, trip) {
  const trigger = TRIGGERS[trip.run_type];
  if (trigger && trigger[0] === step) {
    throw new SagaError(trigger[1], `${step} failed on purpose: run type ${trip.run_type} for trip ${trip.trip_id}`);
  }
}

const hotelId = (t) => stableId(t.trip_id, t.hotel, t.check_in);
const flightId = (t) => stableId(t.trip_id, t.depart, t.arrive);
const paymentId = (t) => stableId(t.trip_id, hotelId(t), flightId(t));

function handlers(table) {
  const key = (pk, sk) => `${pk}\u001f${sk}`;
  const put = (row) => table.set(key(row.pk, row.sk), row);
  const confirm = (step, kind, sk, trip) => {
    failIfTriggered(step, trip);
    const row = table.get(key(trip.trip_id, sk));
    if (!row || row.transaction_status !== PENDING) {
      throw new SagaError('BookingNotFound', `no pending ${kind} booking ${sk} for trip ${trip.trip_id}`);
    }
    row.transaction_status = CONFIRMED;
    return { status: 'ok', booking: sk };
  };
  const compensate = (step, sk, trip) => {
    if (Math.random() < trip.cancel_failure_rate) {
      throw new SagaError('InternalServerError', `${step} failed (rate ${trip.cancel_failure_rate})`);
    }
    table.delete(key(trip.trip_id, sk));
    return { status: 'ok', deleted: sk };
  };
  return {
    ReserveHotel(t) {
      failIfTriggered('ReserveHotel', t);
      const id = hotelId(t);
      put({
        pk: t.trip_id, sk: `HOTEL#${id}`, trip_id: t.trip_id, type: 'Hotel', id,
        hotel: t.hotel, check_in: t.check_in, check_out: t.check_out, transaction_status: PENDING,
      });
      return { status: 'ok', booking_id: id };
    },
    ReserveFlight(t) {
      failIfTriggered('ReserveFlight', t);
      const id = flightId(t);
      put({
        pk: t.trip_id, sk: `FLIGHT#${id}`, trip_id: t.trip_id, type: 'Flight', id,
        depart: t.depart, depart_at: t.depart_at, arrive: t.arrive, arrive_at: t.arrive_at,
        transaction_status: PENDING,
      });
      return { status: 'ok', booking_id: id };
    },
    TakePayment(t) {
      failIfTriggered('TakePayment', t);
      const id = paymentId(t);
      put({
        pk: t.trip_id, sk: `PAYMENT#${id}`, trip_id: t.trip_id, type: 'Payment', id,
        amount: '450.00', currency: 'USD', transaction_status: CONFIRMED,
      });
      return { status: 'ok', payment_id: id };
    },
    ConfirmHotelBooking: (t) => confirm('ConfirmHotel', 'hotel', `HOTEL#${hotelId(t)}`, t),
    ConfirmFlight: (t) => confirm('ConfirmFlight', 'flight', `FLIGHT#${flightId(t)}`, t),
    RefundPayment: (t) => compensate('refund-payment', `PAYMENT#${paymentId(t)}`, t),
    CancelFlightReservation: (t) => compensate('cancel-flight', `FLIGHT#${flightId(t)}`, t),
    CancelHotelReservation: (t) => compensate('cancel-hotel', `HOTEL#${hotelId(t)}`, t),
  };
}

// Each Task state calls `lambda:invoke` with `Payload.$: $`; the override answers as
// Lambda does, the handler's result under `Payload`.
function taskOverrides(table) {
  const overrides = {};
  for (const [state, handler] of Object.entries(handlers(table))) {
    overrides[state] = (input) => ({
      ExecutedVersion: '$LATEST',
      Payload: handler(readTrip(input.Payload)),
      StatusCode: 200,
    });
  }
  return overrides;
}

// The deployed definition with each `${…FunctionArn}` replaced, as the embedded runtime
// does (src/backend/saga_definition.rs).
function sagaDefinition() {
  const names = {
    ReserveHotel: 'reserve-hotel', ReserveFlight: 'reserve-flight', TakePayment: 'take-payment',
    ConfirmHotel: 'confirm-hotel', ConfirmFlight: 'confirm-flight', CancelHotel: 'cancel-hotel',
    CancelFlight: 'cancel-flight', RefundPayment: 'refund-payment',
  };
  const text = readFileSync(ASL, 'utf8').replace(/\$\{(\w+)FunctionArn\}/g, (whole, step) => {
    if (!names[step]) throw new Error(`unknown placeholder ${whole}`);
    return `arn:aws:lambda:us-east-1:123456789012:function:${names[step]}`;
  });
  return JSON.parse(text);
}

// The input the embedded backend starts each saga with (TripRequest::example + to_input).
function tripInput(tripId) {
  return {
    trip_id: tripId,
    depart: 'London',
    depart_at: '2021-07-10T06:00:00.000Z',
    arrive: 'Dublin',
    arrive_at: '2021-07-12T08:00:00.000Z',
    hotel: 'holiday inn',
    check_in: '2021-07-10T12:00:00.000Z',
    check_out: '2021-07-12T14:00:00.000Z',
    rental: 'Volvo',
    rental_from: '2021-07-10T00:00:00.000Z',
    rental_to: '2021-07-12T00:00:00.000Z',
    run_type: 'success',
    cancel_failure_rate: 0,
  };
}

async function sagas(n, inFlight) {
  const machine = new StateMachine(sagaDefinition());
  const table = new Map();
  const options = { overrides: { taskResourceLocalHandlers: taskOverrides(table) } };
  const started = start();
  for (let done = 0; done < n; ) {
    const batch = Math.min(inFlight, n - done);
    const runs = [];
    for (let i = done; i < done + batch; i++) {
      runs.push(machine.run(tripInput(`trip-${i}`), options).result);
    }
    for (const output of await Promise.all(runs)) {
      if (output?.ConfirmFlightResult?.Payload?.status !== 'ok') {
        throw new Error(`a saga did not end confirmed: ${JSON.stringify(output)}`);
      }
    }
    done += batch;
  }
  const span = finish(started);
  if (table.size !== 3 * n) throw new Error(`expected ${3 * n} rows, found ${table.size}`);
  for (const row of table.values()) {
    if (row.transaction_status !== CONFIRMED) throw new Error(`row left ${row.transaction_status}: ${row.sk}`);
  }
  return span;
}

function passChain(n) {
  const states = {};
  for (let i = 0; i < n; i++) {
    states[`S${i}`] = i + 1 < n ? { Type: 'Pass', Next: `S${i + 1}` } : { Type: 'Pass', End: true };
  }
  return { StartAt: 'S0', States: states };
}

async function chains(n, length) {
  const machine = new StateMachine(passChain(length));
  const started = start();
  for (let i = 0; i < n; i++) {
    const output = await machine.run({ trip: 't-1' }).result;
    if (output?.trip !== 't-1') throw new Error(`unexpected output ${JSON.stringify(output)}`);
  }
  return finish(started);
}

async function main(argv) {
  const [mode, countText, third] = argv;
  const n = count(countText, 'COUNT');
  let span;
  if (mode === 'saga') span = await sagas(n, count(third, 'IN_FLIGHT'));
  else if (mode === 'chain') span = await chains(n, count(third, 'STATES'));
  else throw new Error(`unknown mode ${JSON.stringify(mode)}; ${USAGE}`);
  const seconds = span.ms / 1000;
  console.log(
    `executions=${n} seconds=${seconds.toFixed(4)} per_second=${(n / seconds).toFixed(1)} cpu_seconds=${span.cpuSeconds.toFixed(3)}`,
  );
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`error: ${e.stack ?? e}`);
  process.exit(1);
});
