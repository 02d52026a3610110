"""OneStop search: a bilingual (Chinese/English) index of shared resources.

A library that knows nothing of Flask or the database::

    from search import open_index
    index = open_index("instance/index")   # a folder of its own: refuses one holding other files
    index.add([{"id": 1, "platform": "NJNC", "external_id": "X1", "kind": "instrument",
                "title": "扫描电镜"}])
    result = index.search("SEM", city="南京")

Whoosh (whoosh-reloaded) and jieba stay behind this interface.
"""

from .index import (
    SCHEMA_VERSION,
    Index,
    IndexBusy,
    NotAnIndexFolder,
    SearchResult,
    open_index,
    rebuild,
)

__all__ = ["SCHEMA_VERSION", "Index", "IndexBusy", "NotAnIndexFolder", "SearchResult", "open_index",
           "rebuild"]
