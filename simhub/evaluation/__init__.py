"""AI-model evaluation: suites, closed-loop batch rollout, criteria and scores, quotas,
scheduling. Pure core; ports: ``Policy`` (policy.py), ``Executor`` and ``EvaluationRepository``
(ports.py)."""
