// The latest value of something a render has, for callbacks that outlive the render (async
// loaders, stream handlers) and must not change identity when it changes: a new `t` after a
// language switch must not, say, make a loader new and its effect fetch everything again.

import { type RefObject, useLayoutEffect, useRef } from 'react';

export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
