"""The CS team's coverage models, assignment and balancing, hand-offs from sales, cadence, stakeholders and targets."""
