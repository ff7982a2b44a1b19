"""The analysis of one call: the pipeline that composes the measures of :mod:`audio_features`, the
verdicts, the report model and its text summary. It knows no web, queue or storage."""
