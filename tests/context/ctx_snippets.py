"""Small real-looking sources per language, shared by the context tests."""

PYTHON = '''\
import os
import json as j
from typing import Any
from .helpers import helper_a, helper_b as hb

LIMIT = 10


def helper(x):
    """Add one."""
    return x + 1


class Outer:
    """The outer class."""

    class Inner:
        def deep(self, v):
            return helper(v) + LIMIT

    @staticmethod
    @cache
    def decorated(a):
        return os.path.join(a)

    def calls_sibling(self):
        return self.decorated(1)


async def fetch(url):
    await go(url)


def uses_alias() -> Any:
    return j.dumps(hb(1))
'''

JAVASCRIPT = """\
import { readFile } from "fs";
import path from "path";
const util = require("util");

const double = (n) => n * 2;

export const quadruple = async (n) => {
  return double(double(n));
};

class Shape {
  area() {
    return this.side * this.side;
  }

  describe = () => {
    return path.join("a", String(this.area()));
  };
}

/** Loads a file. */
function load(p) {
  return readFile(p, util.inspect);
}
"""

TYPESCRIPT = """\
import { Logger } from "./log";

interface Point {
  x: number;
  y: number;
}

type Pair = [number, number];

export function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export const mid = (a: Point, b: Point): Pair => [(a.x + b.x) / 2, (a.y + b.y) / 2];

export class Tracker {
  private log = new Logger();

  record(p: Point): void {
    this.log.info(String(dist(p, p)));
  }
}
"""

TSX = """\
import React from "react";

type Props = { name: string };

export const Greeting = ({ name }: Props) => {
  return <div className="greeting">Hello {name}</div>;
};
"""

GO = """\
package shapes

import (
	"fmt"
	"math"
	"strings"
)

// Circle is round.
type Circle struct {
	R float64
}

// Area returns the area.
func (c *Circle) Area() float64 {
	return math.Pi * c.R * c.R
}

func Describe(c *Circle) string {
	return fmt.Sprintf("%.2f", c.Area())
}

func Upper(s string) string {
	return strings.ToUpper(s)
}
"""

RUST = """\
use std::collections::HashMap;
use std::fmt;

/// A counter of words.
#[derive(Debug, Default)]
pub struct Counter {
    counts: HashMap<String, usize>,
}

impl Counter {
    pub fn add(&mut self, word: &str) {
        *self.counts.entry(word.to_string()).or_insert(0) += 1;
    }

    pub fn get(&self, word: &str) -> usize {
        self.counts.get(word).copied().unwrap_or(0)
    }
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.counts.len())
    }
}

pub async fn fetch_all(c: &Counter) -> usize {
    c.get("a")
}
"""

LUA = """\
local json = require("json")
local M = {}

-- Doubles a number.
local function double(n)
  return n * 2
end

function M.quad(n)
  return double(double(n))
end

function M:encode(v)
  return json.encode(v)
end

return M
"""

C = """\
#include <stdio.h>
#include "util.h"

#define SQUARE(x) ((x) * (x))

struct point {
    int x;
    int y;
};

/* Dot product. */
static int dot(struct point a, struct point b) {
    return a.x * b.x + a.y * b.y;
}

int norm2(struct point p) {
    return dot(p, p) + SQUARE(0);
}
"""

CPP = """\
#include <string>

namespace geo {

class Shape {
 public:
  virtual ~Shape() = default;
  virtual double area() const = 0;
};

class Square : public Shape {
 public:
  explicit Square(double s) : side_(s) {}
  double area() const override { return side_ * side_; }
  std::string name() const;

 private:
  double side_;
};

std::string Square::name() const { return "square" + std::to_string(area()); }

template <typename T>
T twice(T v) {
  return v + v;
}

}  // namespace geo
"""
