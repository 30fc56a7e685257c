// Progressive enhancement for the Focus group builder: keep each group's legend
// ("Group 1: any of") in step with its any/all radios. Without JavaScript the legend
// follows the radios on the next redraw (any add, remove or save button).
for (const fieldset of document.querySelectorAll('fieldset[data-group-name]')) {
  const legend = fieldset.querySelector(':scope > legend');
  fieldset.addEventListener('change', (event) => {
    if (legend && event.target.name === `${fieldset.id}-mode`) {
      const words = event.target.value === 'all' ? 'all of' : 'any of';
      legend.textContent = `${fieldset.dataset.groupName}: ${words}`;
    }
  });
}

// After "Add a condition" redraws the page, put keyboard focus on the new condition's first
// control (the last condition of that group, or of the top level), not the top of the page.
const redrawn = document.querySelector('form[data-focus-on]');
if (redrawn && !document.querySelector('.nhsuk-error-summary')) {
  const where = redrawn.dataset.focusOn;
  const scope = where === 'top' ? redrawn : document.getElementById(where);
  const conditions = scope
    ? [...scope.querySelectorAll('.gpequity-condition')].filter(
        (c) => where !== 'top' || !c.closest('fieldset[data-group-name]'),
      )
    : [];
  const last = conditions[conditions.length - 1];
  const control = last && last.querySelector('select, input:not([type=hidden])');
  if (control) control.focus();
}
