"""Cross-cutting pieces every domain uses: model base, errors, clock, access policy, audit."""
