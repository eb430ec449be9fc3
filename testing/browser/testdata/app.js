// The self-test page's behaviour (testing/browser/browser_harness_test.cc).
// #go changes #status through script; #boom throws an uncaught error;
// addLateElement(ms) adds #late after a delay, so a wait has something that is
// not there when it starts.
'use strict';

document.getElementById('go').addEventListener('click', () => {
  const status = document.getElementById('status');
  status.textContent = 'Clicked';
  status.dataset.state = 'clicked';
});

document.getElementById('boom').addEventListener('click', () => {
  throw new Error('boom from the page');
});

window.addLateElement = (delayMs) => {
  setTimeout(() => {
    const late = document.createElement('p');
    late.id = 'late';
    late.textContent = 'Arrived late';
    document.body.appendChild(late);
  }, delayMs);
};

console.log('harness page ready');
