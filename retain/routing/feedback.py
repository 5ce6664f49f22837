"""Feature requests grouped by what they ask for (pure: texts in, groups out).

Each request joins the group whose centroid it is most similar to (cosine similarity of TF-IDF word
vectors, with the words every request uses — please, add, would love… — left out), if that
similarity is at least `threshold`; otherwise it starts a group. A group is named by its centroid's
strongest words and shown by the request closest to it. Deterministic: requests are taken in the
order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ASKING = {"please", "add", "would", "love", "like", "could", "great", "nice", "feature", "request", "need", "needs",
          "want", "wants", "really", "able", "possible", "support", "consider", "suggest", "suggestion", "idea", "us",
          "help", "lot", "team", "way", "make", "let", "build", "plans", "having", "helpful", "wish"}  # fmt: skip
THRESHOLD = 0.3


@dataclass(frozen=True)
class Group:
    members: list[int]  # indices into the texts given
    label: str
    example: int


def group(texts: Sequence[str], *, threshold: float = THRESHOLD) -> list[Group]:
    if not texts:
        return []
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer  # at use: costly to import

    vectorizer = TfidfVectorizer(stop_words=list(ENGLISH_STOP_WORDS | ASKING), ngram_range=(1, 2), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(list(texts)).toarray()
    except ValueError:  # nothing but stop words
        return [Group(members=list(range(len(texts))), label="(no words)", example=0)]
    words = vectorizer.get_feature_names_out()
    sums: list[np.ndarray] = []
    members: list[list[int]] = []
    for index, row in enumerate(matrix):
        best, best_sim = -1, 0.0
        for number, total in enumerate(sums):
            norm = float(np.linalg.norm(total))
            sim = float(row @ total) / norm if norm else 0.0
            if sim > best_sim:
                best, best_sim = number, sim
        if best >= 0 and best_sim >= threshold:
            sums[best] = sums[best] + row
            members[best].append(index)
        else:
            sums.append(row.copy())
            members.append([index])
    groups = []
    for total, indices in zip(sums, members, strict=True):
        top = [str(words[i]) for i in np.argsort(-total)[:3] if total[i] > 0]
        closest = max(indices, key=lambda i: float(matrix[i] @ total))
        groups.append(Group(members=indices, label=", ".join(top) or "(no words)", example=closest))
    groups.sort(key=lambda g: (-len(g.members), g.members[0]))
    return groups
