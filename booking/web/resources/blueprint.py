"""The resources blueprint: the steps taken from a resource's page, under /resources/<id>/.
(The page itself keeps its endpoint `main.resource`, which links in mail and the API build.)"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("resources", __name__, url_prefix="/resources")



