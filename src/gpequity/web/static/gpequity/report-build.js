// Polls a report build's status and replaces the status region until the build finishes.
// Without JavaScript the page offers a refresh link instead (ADR 9).
const region = document.getElementById('build-status');

async function poll(delay) {
  if (!region || region.dataset.finished === 'true') return;
  await new Promise((resolve) => setTimeout(resolve, delay));
  let state;
  try {
    const response = await fetch(region.dataset.statusUrl, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(String(response.status));
    state = await response.json();
  } catch (error) {
    poll(Math.min(delay * 2, 10000)); // a brief outage: back off and keep trying
    return;
  }
  if (state.html !== region.dataset.lastHtml) {
    region.dataset.lastHtml = state.html;
    region.innerHTML = state.html;
  }
  if (state.finished) {
    region.dataset.finished = 'true';
    const button = region.querySelector('a.nhsuk-button, button');
    if (button) button.focus();
    return;
  }
  poll(1000);
}

poll(500);
