"""Topic and phase classification: features, training, model registry, evaluation.

Modules: ``records`` (the LABELS.md format and the classifier's input), ``features``,
``model`` (the scikit-learn pipelines), ``keyword`` (the baseline), ``registry``
(versioned model files), ``evaluate``, ``classifier`` (what the pipeline uses).
This package imports scikit-learn lazily: importing it costs nothing.
"""
