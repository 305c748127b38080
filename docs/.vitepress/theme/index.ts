// The default theme plus the workbook's own components, registered globally so any page can use them.
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import BenchChart from './BenchChart.vue';
import BenchTable from './BenchTable.vue';
import ChapterMap from './ChapterMap.vue';
import ExerciseList from './ExerciseList.vue';
import Hints from './Hints.vue';
import { defineAsyncComponent } from 'vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('BenchChart', BenchChart);
    app.component('BenchTable', BenchTable);
    app.component('ChapterMap', ChapterMap);
    app.component('ExerciseList', ExerciseList);
    app.component('Hints', Hints);
    // Its own chunk (the core, the simulation), loaded only by pages that show a playground.
    app.component('Playground', defineAsyncComponent(() => import('./Playground.vue')));
  },
} satisfies Theme;
