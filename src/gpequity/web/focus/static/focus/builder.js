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
