// Moved to test/support/ (the watch tests use it too); kept here so the API tests' imports stand.
export { fakeClock, type FakeClock } from '../support/fake-clock.js';
